using Gensor.Backend.Lowering;
using Gensor.Construction.Feedback;
using Gensor.Etir;
using Gensor.Tuning.Reports;
using Gensor.Tuning.Resources;

namespace Gensor.Tuning;

/// <summary>Wall-clock milliseconds of each phase of a tuning run.</summary>
public sealed record TuneTimings(double ConstructMs, double CompileMs, double MeasureMs);

/// <summary>
/// The outcome of tuning one operator on one device: every measured
/// candidate and the fastest verified one (none when no candidate verified).
/// </summary>
public sealed record TuneReport(
    Operator Operator,
    string Device,
    bool Simulated,
    string Policy,
    string Target,
    int StatesVisited,
    IReadOnlyList<CandidateResult> Candidates,
    CandidateResult? Best,
    KernelSource? BestSource,
    TuneTimings Timings)
{
    /// <summary>The best kernel's throughput against the device's profile; null when nothing verified.</summary>
    public Performance? BestPerformance { get; init; }

    /// <summary>What compiling the leading candidates found and cost, when construction asked the compiler.</summary>
    public CompilerCheck? CompilerCheck { get; init; }

    /// <summary>
    /// What the best kernel uses, read back from NVIDIA's tools (and the CUDA driver);
    /// null when not read, as in a batch's reports.
    /// </summary>
    public ResourceReading? Resources { get; init; }
}
