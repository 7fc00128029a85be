using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Feedback;

namespace Gensor.Tuning;

/// <summary>One measured candidate: its schedule, the model's estimate (when constructed) and what running it gave.</summary>
public sealed record CandidateResult(Schedule Schedule, double? EstimatedMs, Measurement Measurement)
{
    public bool Verified => Measurement.Verified;

    public double? MeasuredMs => Measurement.MedianMs;

    /// <summary>True when the result was read from a records file instead of measured in this run.</summary>
    public bool FromRecords { get; init; }

    /// <summary>What the vendor's compiler read back from this kernel during construction (registers, spills); null when it was not asked.</summary>
    public KernelResources? Compiled { get; init; }
}
