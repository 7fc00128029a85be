using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;

namespace Gensor.Tuning.Batch;

/// <summary>
/// The outcome of a batch: a result per suite operator, the model's total time
/// (the sum of count x best time), and the exit code. Exit codes: 0 when every
/// operator has a verified result; 2 when some spec was bad input (this wins,
/// since it needs the suite fixed); else 3 when some operator has no verified result.
/// </summary>
public sealed record BatchSummary(string Suite, string Policy, string Device, IReadOnlyList<BatchResult> Results)
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    /// <summary>Sum over operators of count x best time; null when no operator has a result.</summary>
    public double? ModelTotalMs => Total(r => r.BestMs);

    /// <summary>Whether every operator contributed to <see cref="ModelTotalMs"/>.</summary>
    public bool ModelTotalComplete => Results.All(r => r.BestMs is not null);

    public double? ModelTotalNaiveMs => Total(r => r.NaiveMs);

    public double? ModelTotalRollerMs => Total(r => r.RollerMs);

    public int Measured => Results.Sum(r => r.Measured);

    public int FromRecords => Results.Sum(r => r.FromRecords);

    public int ExitCode =>
        Results.Any(r => r.BadInput) ? (int)ErrorKind.BadInput
        : Results.Any(r => !r.Verified) ? (int)ErrorKind.NoResult
        : 0;

    private double? Total(Func<BatchResult, double?> time) =>
        Results.Any(r => time(r) is not null) ? Results.Sum(r => r.Entry.Count * (time(r) ?? 0)) : null;

    public JsonObject ToJson() => new()
    {
        ["suite"] = Suite,
        ["policy"] = Policy,
        ["device"] = Device,
        ["operators"] = new JsonArray(Results.Select(r => (JsonNode)Operator(r)).ToArray()),
        ["model_total_ms"] = Round(ModelTotalMs),
        ["model_total_complete"] = ModelTotalComplete,
        ["model_total_naive_ms"] = Round(ModelTotalNaiveMs),
        ["model_total_roller_ms"] = Round(ModelTotalRollerMs),
        ["measured"] = Measured,
        ["from_records"] = FromRecords,
        ["exit_code"] = ExitCode,
    };

    public string ToJsonText() => ToJson().ToJsonString(_indented);

    /// <summary>The summary table: one row per suite operator, then the model total.</summary>
    public void WriteText(TextWriter w)
    {
        w.WriteLine($"{"#",3}  {"operator",-20} {"count",5} {"best ms",10} {"vs naive",9} {"vs roller",9} {"ok",3}  note");
        foreach (var r in Results)
        {
            var note = r.Error ?? (r.SameAs is not null ? $"same operator as {r.SameAs}" : r.Schedule?.ToString() ?? "");
            w.WriteLine($"{r.Entry.Number,3}  {r.Entry.Name,-20} {r.Entry.Count,5} {Ms(r.BestMs),10} {Speedup(r.SpeedupOverNaive),9} {Speedup(r.SpeedupOverRoller),9} {(r.Verified ? "yes" : "no"),3}  {note}");
        }
        var total = ModelTotalMs is null ? "-" : $"{Ms(ModelTotalMs)} ms{(ModelTotalComplete ? "" : " (incomplete: some operators have no result)")}";
        w.WriteLine($"model total (sum of count x best): {total}");
        if (ModelTotalNaiveMs is not null || ModelTotalRollerMs is not null)
        {
            w.WriteLine($"baselines total: naive {Ms(ModelTotalNaiveMs)} ms, roller {Ms(ModelTotalRollerMs)} ms");
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
        ["schedule"] = r.Schedule?.ToString(),
        ["verified"] = r.Verified,
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

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;

    private static string Ms(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Speedup(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";
}
