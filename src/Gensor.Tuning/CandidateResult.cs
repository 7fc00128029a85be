using Gensor.Backend.Runtime;
using Gensor.Etir;

namespace Gensor.Tuning;

/// <summary>One measured candidate: its schedule, the model's estimate (when constructed) and what running it gave.</summary>
public sealed record CandidateResult(Schedule Schedule, double? EstimatedMs, Measurement Measurement)
{
    public bool Verified => Measurement.Verified;

    public double? MeasuredMs => Measurement.MedianMs;

    /// <summary>True when the result was read from a records file instead of measured in this run.</summary>
    public bool FromRecords { get; init; }
}
