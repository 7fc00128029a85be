namespace Gensor.Tuning.Batch;

/// <summary>
/// What a batch found for one operator of the suite: a tuning report per
/// policy that ran (the chosen policy first, then the baselines), and from
/// them the best verified kernel over all policies.
/// </summary>
/// <param name="Entry">The suite's operator.</param>
/// <param name="Reports">One report per policy that ran, the chosen policy's first; empty when it was not tuned (bad spec, failure).</param>
/// <param name="SameAs">The name of an earlier operator with the same canonical form, whose result this is.</param>
/// <param name="Error">Why the operator has no result, or null.</param>
/// <param name="Measured">Candidates measured for it in this run, baselines included.</param>
/// <param name="FromRecords">Candidates answered from the records instead, baselines included.</param>
public sealed record BatchResult(
    BatchEntry Entry,
    IReadOnlyList<TuneReport> Reports,
    string? SameAs,
    string? Error,
    int Measured = 0,
    int FromRecords = 0)
{
    /// <summary>The chosen policy's report, or null when nothing was tuned.</summary>
    public TuneReport? Report => Reports.Count > 0 ? Reports[0] : null;

    /// <summary>The report holding the fastest verified kernel over all policies (the earlier policy on a tie).</summary>
    public TuneReport? BestReport => Reports.Where(r => r.Best?.MeasuredMs is not null).MinBy(r => r.Best!.MeasuredMs);

    public CandidateResult? Best => BestReport?.Best;

    public double? BestMs => Best?.MeasuredMs;

    /// <summary>The policy whose kernel is <see cref="Best"/>.</summary>
    public string? BestPolicy => BestReport?.Policy;

    public bool Verified => Best is not null;

    /// <summary>Elements of the output the operator defines; null for a bad spec.</summary>
    public long? OutputElements => Entry.Operator?.Output.ElementCount;

    /// <summary>
    /// How many output elements the best kernel's verification compared (<see cref="Backend.Runtime.Measurement.CheckedElements"/>);
    /// null when nothing verified or the count is not known (a record of an older build).
    /// </summary>
    public int? CheckedElements => Best?.Measurement.CheckedElements;

    /// <summary>Whether the best kernel was verified on fewer than all of the output's elements.</summary>
    public bool PartlyChecked => CheckedElements is { } compared && OutputElements is { } all && compared < all;

    public bool BadInput => Entry.Error is not null;

    /// <summary>The best verified time <paramref name="policy"/> reached, or null when it did not run or nothing verified.</summary>
    public double? PolicyMs(string policy) => Reports.FirstOrDefault(r => r.Policy == policy)?.Best?.MeasuredMs;

    public double? NaiveMs => PolicyMs("naive");

    public double? RollerMs => PolicyMs("roller");

    public double? SpeedupOverNaive => NaiveMs is { } naive && BestMs is { } best && best > 0 ? naive / best : null;

    public double? SpeedupOverRoller => RollerMs is { } roller && BestMs is { } best && best > 0 ? roller / best : null;

    /// <summary>The best schedule, in the operator's own names.</summary>
    public Gensor.Etir.Schedule? Schedule => Best?.Schedule;
}
