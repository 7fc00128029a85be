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

    /// <summary>
    /// How many candidates were tried, for the error that none verified, naming those whose failure was
    /// taken from the records (an earlier run's: nothing was measured again, so the user learns that
    /// --force would).
    /// </summary>
    public static string Tried(IReadOnlyCollection<CandidateResult> candidates)
    {
        var recorded = candidates.Count(c => c.FromRecords);
        if (recorded == 0)
        {
            return $"{candidates.Count} tried";
        }
        var which = recorded < candidates.Count ? recorded.ToString(System.Globalization.CultureInfo.InvariantCulture) : recorded == 1 ? "it" : "all";
        return $"{candidates.Count} tried; {which} failed in an earlier run, taken from the records: --force measures {(recorded == 1 ? "it" : "them")} again";
    }
}
