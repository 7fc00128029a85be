using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;
using Gensor.Tuning.Reports;

namespace Gensor.Tuning.Batch;

/// <summary>
/// The outcome of a batch: a result per operator tuned, the best verified
/// kernel of each over all policies and what each policy reached, the model's
/// total time (the sum of count x best time) and the exit code. Exit codes: 0
/// when every operator has a verified result; 2 when some spec was bad input
/// (this wins, since it needs the suite fixed); else 3 when some operator has
/// no verified result.
/// </summary>
public sealed record BatchSummary(string Suite, string Policy, string Device, IReadOnlyList<BatchResult> Results)
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    /// <summary>The shard the results cover; <see cref="ShardSpec.All"/> for the whole suite.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>Operators in the whole suite (the shard's and the others').</summary>
    public int SuiteSize { get; init; }

    /// <summary>Operators the run was to tune: the shard's, or the whole suite's.</summary>
    public int Planned { get; init; }

    /// <summary>The signal that stopped the batch before every planned operator was tuned; null when none did.</summary>
    public PosixSignal? InterruptedBy { get; init; }

    /// <summary>True when a signal stopped the batch before every planned operator was tuned.</summary>
    public bool Interrupted => InterruptedBy is not null;

    /// <summary>
    /// The environment's failure that ended the batch before every planned operator was tuned (a records
    /// file that could not be written); null when none did. The summary covers the operators done before it.
    /// </summary>
    public string? StoppedBy { get; init; }

    /// <summary>True when a signal or a failure ended the batch early: the totals cover the operators done.</summary>
    public bool EndedEarly => Interrupted || StoppedBy is not null;

    /// <summary>How the batch ended early, for the text: "interrupted" (a signal) or "stopped by an error"; null when it did not.</summary>
    public string? EndedEarlyBy => Interrupted ? "interrupted" : StoppedBy is not null ? "stopped by an error" : null;

    /// <summary>Sum over operators of count x best time over all policies; null when no operator has a result, 0 when there is none.</summary>
    public double? ModelTotalMs => Total(r => r.BestMs);

    /// <summary>Whether every operator of the run contributed to <see cref="ModelTotalMs"/>.</summary>
    public bool ModelTotalComplete => !EndedEarly && Results.All(r => r.BestMs is not null);

    /// <summary>The policies that ran, the chosen one first.</summary>
    public IReadOnlyList<string> Policies => Results.SelectMany(r => r.Reports.Select(report => report.Policy)).Distinct().ToArray();

    /// <summary>Sum over operators of count x the best time <paramref name="policy"/> reached alone.</summary>
    public double? PolicyTotalMs(string policy) => Total(r => r.PolicyMs(policy));

    /// <summary>
    /// Operators with a result that <paramref name="policy"/> alone has none for: its total leaves them out, so it is
    /// not comparable with <see cref="ModelTotalMs"/> (a naive total without a timed-out convolution read 15x faster
    /// than the best of all: found by fuzzing).
    /// </summary>
    public int PolicyMissing(string policy) => Results.Count(r => r.BestMs is not null && r.PolicyMs(policy) is null);

    /// <summary>" (no result for 2 operators)" when <paramref name="policy"/>'s total leaves some out, else "".</summary>
    public string PolicyMissingNote(string policy) =>
        PolicyMissing(policy) is > 0 and var missing ? $" (no result for {NumberText.Count(missing, "operator")})" : "";

    public double? ModelTotalNaiveMs => PolicyTotalMs("naive");

    public double? ModelTotalRollerMs => PolicyTotalMs("roller");

    public int Measured => Results.Sum(r => r.Measured);

    public int FromRecords => Results.Sum(r => r.FromRecords);

    /// <summary>
    /// The process's exit code. A signal's is the shell's 128 + its number (130 for SIGINT, 143 for
    /// SIGTERM): the process ends by the signal once the summary is out, and the summary says so too.
    /// </summary>
    public int ExitCode =>
        InterruptedBy is { } signal ? SignalExit.Code(signal)
        : StoppedBy is not null ? (int)ErrorKind.Internal
        : Results.Any(r => r.BadInput) ? (int)ErrorKind.BadInput
        : Results.Any(r => !r.Verified) ? (int)ErrorKind.NoResult
        : 0;

    /// <summary>What the total covers: "the suite", "shard 1/2 (12 of 25 operators)", or the part done before an interruption.</summary>
    public string Scope
    {
        get
        {
            var scope = Shard.Count > 1 ? $"shard {Shard} ({NumberText.Count(Planned, "operator")} of the suite's {SuiteSize})" : "the suite";
            return EndedEarlyBy is { } ended ? $"{scope}, {ended} after {Results.Count} of {NumberText.Count(Planned, "operator")}" : scope;
        }
    }

    // A shard with no operator sums to 0, so that a script adds the shards' totals without a special case.
    private double? Total(Func<BatchResult, double?> time) =>
        Results.Count == 0 && !EndedEarly ? 0
        : Results.Any(r => time(r) is not null) ? Results.Sum(r => r.Entry.Count * (time(r) ?? 0)) : null;

    public JsonObject ToJson() => new()
    {
        ["suite"] = Suite,
        ["policy"] = Policy,
        ["device"] = Device,
        ["shard"] = Shard.ToString(),
        ["suite_operators"] = SuiteSize,
        ["planned_operators"] = Planned,
        ["interrupted"] = Interrupted,
        ["stopped_by"] = StoppedBy,
        ["operators"] = new JsonArray(Results.Select(r => (JsonNode)Operator(r)).ToArray()),
        ["model_total_ms"] = Round(ModelTotalMs),
        ["model_total_complete"] = ModelTotalComplete,
        ["policy_totals_ms"] = new JsonObject(Policies.Select(p => KeyValuePair.Create(p, (JsonNode?)Round(PolicyTotalMs(p))))),
        ["policy_operators_without_result"] = new JsonObject(Policies.Select(p => KeyValuePair.Create(p, (JsonNode?)PolicyMissing(p)))),
        ["model_total_naive_ms"] = Round(ModelTotalNaiveMs),
        ["model_total_roller_ms"] = Round(ModelTotalRollerMs),
        ["measured"] = Measured,
        ["from_records"] = FromRecords,
        ["exit_code"] = ExitCode,
    };

    public string ToJsonText() => ToJson().ToJsonString(_indented);

    /// <summary>
    /// The summary table: one row per operator with the best kernel over all
    /// policies, the policy that made it, and each policy's own best; then the totals.
    /// </summary>
    public void WriteText(TextWriter w)
    {
        var policies = Policies;
        var header = $"{"#",3}  {"operator",-20} {"count",5} {"best ms",10} {"by",-8} {"speed",-29}";
        foreach (var p in policies)
        {
            header += $" {p + " ms",10}";
        }
        w.WriteLine(header + $" {"ok",3}  schedule or note");
        foreach (var r in Results)
        {
            var note = r.Error ?? (r.SameAs is not null ? $"same operator as {r.SameAs}" : r.Schedule?.ToString() ?? "");
            var speed = r.BestReport?.BestPerformance is { } perf ? Speed(perf) : "-";
            var row = $"{r.Entry.Number,3}  {r.Entry.Name,-20} {r.Entry.Count,5} {Ms(r.BestMs),10} {r.BestPolicy ?? "-",-8} {speed,-29}";
            foreach (var p in policies)
            {
                row += $" {Ms(r.PolicyMs(p)),10}";
            }
            w.WriteLine(row + $" {(r.Verified ? "yes" : "no"),3}  {note}");
        }
        foreach (var r in Results.Where(r => r.PartlyChecked && r.SameAs is null))
        {
            // As tune says it: a pass says nothing of the elements verification could not compare.
            w.WriteLine($"{r.Entry.Name}: verified on {r.CheckedElements} of {r.OutputElements} output elements; the others are NaN or infinite in the reference, or near an overflow or a singularity");
        }
        if (EndedEarlyBy is { } ended)
        {
            w.WriteLine($"{ended}: {NumberText.Count(Results.Count, "operator")} of {Planned} done; the totals cover those only");
        }
        var total = ModelTotalMs is null ? "-" : $"{Ms(ModelTotalMs)} ms";
        var missing = Results.Count(r => r.BestMs is null);
        var incomplete = missing > 0 ? $" ({NumberText.Count(missing, "operator")} without a result)" : "";
        w.WriteLine($"model total over {Scope}, best of all policies (sum of count x best): {total}{incomplete}");
        if (policies.Count > 1)
        {
            w.WriteLine($"each policy alone: {string.Join(", ", policies.Select(p => $"{p} {Ms(PolicyTotalMs(p))} ms{PolicyMissingNote(p)}"))}");
        }
        w.WriteLine($"candidates: {Measured} measured, {FromRecords} from records");
    }

    private static JsonObject Operator(BatchResult r) => new()
    {
        ["number"] = r.Entry.Number,
        ["name"] = r.Entry.Name,
        ["count"] = r.Entry.Count,
        ["op_hash"] = r.Entry.Form?.Hash,
        ["best_ms"] = Round(r.BestMs),
        ["best_policy"] = r.BestPolicy,
        ["schedule"] = r.Schedule?.ToString(),
        ["verified"] = r.Verified,
        ["checked_elements"] = r.CheckedElements,
        ["output_elements"] = r.OutputElements,
        ["performance"] = r.BestReport?.BestPerformance is { } perf ? TuneReportJson.Performance(perf) : null,
        ["policies"] = new JsonObject(r.Reports.Select(report => KeyValuePair.Create(report.Policy, (JsonNode?)new JsonObject
        {
            ["best_ms"] = Round(report.Best?.MeasuredMs),
            ["schedule"] = report.Best?.Schedule.ToString(),
            ["candidates"] = report.Candidates.Count,
        }))),
        ["naive_ms"] = Round(r.NaiveMs),
        ["roller_ms"] = Round(r.RollerMs),
        ["speedup_over_naive"] = Round(r.SpeedupOverNaive),
        ["speedup_over_roller"] = Round(r.SpeedupOverRoller),
        ["same_as"] = r.SameAs,
        ["measured"] = r.Measured,
        ["from_records"] = r.FromRecords,
        ["error"] = r.Error,
        ["bad_input"] = r.BadInput,
    };

    /// <summary>"1.23 GFLOP/s (0.5%)" or "812 GB/s (24.2%)": the throughput and its share of the profile's bound.</summary>
    private static string Speed(Performance p) => p.MemoryBound
        ? $"{NumberText.Significant(p.GBs)} GB/s ({NumberText.Significant(p.PercentOfPeak)}%)"
        : $"{NumberText.Significant(p.Gflops)} GFLOP/s ({NumberText.Significant(p.PercentOfPeak)}%)";

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;

    private static string Ms(double? value) => value is { } v ? NumberText.Ms(v) : "-";
}
