using Gensor.Etir;

namespace Gensor.Tuning.Batch;

/// <summary>
/// What a batch found for one operator of the suite. Baseline times are the
/// best verified times of the naive and roller policies (null when skipped or
/// when none verified); speedups are baseline time over best time.
/// </summary>
/// <param name="Entry">The suite's operator.</param>
/// <param name="Report">The tuning report with the chosen policy, or null when it was not tuned (bad spec, failure).</param>
/// <param name="NaiveMs">The naive policy's best time.</param>
/// <param name="RollerMs">The roller policy's best time.</param>
/// <param name="SameAs">The name of an earlier operator with the same canonical form, whose result this is.</param>
/// <param name="Error">Why the operator has no result, or null.</param>
/// <param name="Measured">Candidates measured for it in this run, baselines included.</param>
/// <param name="FromRecords">Candidates answered from the records instead, baselines included.</param>
public sealed record BatchResult(
    BatchEntry Entry,
    TuneReport? Report,
    double? NaiveMs,
    double? RollerMs,
    string? SameAs,
    string? Error,
    int Measured = 0,
    int FromRecords = 0)
{
    public CandidateResult? Best => Report?.Best;

    public double? BestMs => Best?.MeasuredMs;

    public bool Verified => Best is not null;

    public bool BadInput => Entry.Error is not null;

    public double? SpeedupOverNaive => NaiveMs is { } naive && BestMs is { } best && best > 0 ? naive / best : null;

    public double? SpeedupOverRoller => RollerMs is { } roller && BestMs is { } best && best > 0 ? roller / best : null;

    /// <summary>The best schedule, in the operator's own names.</summary>
    public Schedule? Schedule => Best?.Schedule;
}
