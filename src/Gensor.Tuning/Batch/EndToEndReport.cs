using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.InteropServices;
using Gensor.FrontEnd;
using Gensor.Tuning.Reports;

namespace Gensor.Tuning.Batch;

/// <summary>
/// A model's end-to-end table after its suite was batch-tuned: per operator its
/// count, best time, count x time and share of the model total, against the
/// naive and roller baselines the batch measured; the totals, the share of each
/// kind of node (the spec's <c>onnx_op</c>), and what the total leaves out.
/// </summary>
/// <param name="Model">The model file.</param>
/// <param name="Summary">The batch's results, one per suite entry.</param>
/// <param name="Specs">The suite entries in plan order (their <c>onnx_op</c> labels the rows).</param>
/// <param name="Untimed">Node types and counts no operator computes (unsupported), which the total leaves out.</param>
public sealed record EndToEndReport(string Model, BatchSummary Summary, IReadOnlyList<OperatorSpec> Specs, IReadOnlyList<(string Type, int Count)> Untimed)
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    public bool Simulated => Summary.Results.Any(r => r.Report?.Simulated == true);

    private string Kind(BatchResult r) => Specs[r.Entry.Number - 1].OnnxOp ?? "-";

    private static double? Total(BatchResult r) => r.BestMs is { } best ? r.Entry.Count * best : null;

    private double? Share(BatchResult r) => Total(r) is { } total && Summary.ModelTotalMs is { } model && model > 0 ? total / model : null;

    /// <summary>The model total per kind of node, largest first.</summary>
    public IReadOnlyList<(string Kind, double TotalMs, double Share)> ByKind =>
        Summary.ModelTotalMs is not { } model || model <= 0
            ? []
            : Summary.Results.Where(r => r.BestMs is not null).GroupBy(Kind)
                .Select(group => (group.Key, group.Sum(r => Total(r)!.Value), group.Sum(r => Total(r)!.Value) / model))
                .OrderByDescending(kind => kind.Item2)
                .ToArray();

    /// <summary>The suite's operators an interruption left untuned, in plan order: neither in the table's times nor in the total.</summary>
    public IReadOnlyList<string> NotTuned =>
        Specs.Where((_, index) => Summary.Results.All(r => r.Entry.Number != index + 1)).Select(spec => spec.Name).ToArray();

    public void WriteText(TextWriter w)
    {
        // The model's size is the suite's, not the part an interruption left done.
        w.WriteLine($"model:     {Model} ({Specs.Count} operators, {Specs.Sum(spec => spec.Count)} with counts)");
        w.WriteLine($"device:    {Summary.Device}{(Simulated ? " (simulated: the CPU accelerator's times say nothing about a GPU)" : "")}");
        var width = Summary.Results.Select(r => r.Entry.Name.Length).Append(20).Max();
        w.WriteLine($"{"#",3}  {"operator".PadRight(width)} {"onnx_op",-18} {"count",5} {"best ms",10} {"count x ms",11} {"share",6} {"naive ms",10} {"roller ms",10} {"ok",3}");
        foreach (var r in Summary.Results)
        {
            var note = r.Error is not null ? $"  {r.Error}" : r.SameAs is not null ? $"  same operator as {r.SameAs}" : "";
            w.WriteLine($"{r.Entry.Number,3}  {r.Entry.Name.PadRight(width)} {Kind(r),-18} {r.Entry.Count,5} {Ms(r.BestMs),10} {Ms(Total(r)),11} {Percent(Share(r)),6} {Ms(r.NaiveMs),10} {Ms(r.RollerMs),10} {(r.Verified ? "yes" : "no"),3}{note}");
        }
        if (Summary.EndedEarlyBy is { } ended)
        {
            var how = Summary.InterruptedBy == PosixSignal.SIGTERM ? "terminated" : ended;
            w.WriteLine($"{how}: {Summary.Results.Count} of {NumberText.Count(Specs.Count, "operator")} tuned; not tuned: {string.Join(", ", NotTuned)}");
        }
        var complete = Summary.EndedEarlyBy is { } by ? $" (incomplete: {by} before every operator was tuned)"
            : !Summary.ModelTotalComplete ? " (incomplete: some operators have no result)"
            : Untimed.Count > 0 ? " (incomplete: unsupported nodes are not timed)"
            : "";
        w.WriteLine($"model total (sum of count x best): {Ms(Summary.ModelTotalMs)} ms{complete}");
        if (Summary.ModelTotalNaiveMs is not null || Summary.ModelTotalRollerMs is not null)
        {
            w.WriteLine($"baselines:  naive {Baseline("naive", Summary.ModelTotalNaiveMs)}, roller {Baseline("roller", Summary.ModelTotalRollerMs)}");
        }
        if (ByKind.Count > 0)
        {
            w.WriteLine($"by type:    {string.Join(", ", ByKind.Select(kind => $"{kind.Kind} {Percent(kind.Share)}"))}");
        }
        if (Untimed.Count > 0)
        {
            w.WriteLine($"not timed:  {string.Join(", ", Untimed.Select(u => $"{u.Type} x{u.Count}"))} (unsupported nodes, not in the total)");
        }
        w.WriteLine($"candidates: {Summary.Measured} measured, {Summary.FromRecords} from records");
    }

    public JsonObject ToJson() => new()
    {
        ["model"] = Model,
        ["device"] = Summary.Device,
        ["simulated"] = Simulated,
        ["policy"] = Summary.Policy,
        ["interrupted"] = Summary.Interrupted,
        ["stopped_by"] = Summary.StoppedBy,
        ["planned_operators"] = Specs.Count,
        ["not_tuned"] = new JsonArray(NotTuned.Select(name => (JsonNode)JsonValue.Create(name)).ToArray()),
        ["operators"] = new JsonArray(Summary.Results.Select(r => (JsonNode)new JsonObject
        {
            ["number"] = r.Entry.Number,
            ["name"] = r.Entry.Name,
            ["onnx_op"] = Specs[r.Entry.Number - 1].OnnxOp,
            ["count"] = r.Entry.Count,
            ["op_hash"] = r.Entry.Form?.Hash,
            ["best_ms"] = Round(r.BestMs),
            ["total_ms"] = Round(Total(r)),
            ["share"] = Round(Share(r)),
            ["naive_ms"] = Round(r.NaiveMs),
            ["roller_ms"] = Round(r.RollerMs),
            ["speedup_over_naive"] = Round(r.SpeedupOverNaive),
            ["speedup_over_roller"] = Round(r.SpeedupOverRoller),
            ["verified"] = r.Verified,
            ["schedule"] = r.Schedule?.ToString(),
            ["same_as"] = r.SameAs,
            ["error"] = r.Error,
        }).ToArray()),
        ["model_total_ms"] = Round(Summary.ModelTotalMs),
        // The model's total, not the suite's: unsupported nodes are part of the model and missing from it.
        ["model_total_complete"] = Summary.ModelTotalComplete && Untimed.Count == 0,
        ["model_total_naive_ms"] = Round(Summary.ModelTotalNaiveMs),
        ["model_total_roller_ms"] = Round(Summary.ModelTotalRollerMs),
        ["baseline_operators_without_result"] = new JsonObject { ["naive"] = Summary.PolicyMissing("naive"), ["roller"] = Summary.PolicyMissing("roller") },
        ["by_type"] = new JsonArray(ByKind.Select(kind => (JsonNode)new JsonObject
        {
            ["onnx_op"] = kind.Kind,
            ["total_ms"] = Round(kind.TotalMs),
            ["share"] = Round(kind.Share),
        }).ToArray()),
        ["not_timed"] = new JsonArray(Untimed.Select(u => (JsonNode)new JsonObject { ["type"] = u.Type, ["count"] = u.Count }).ToArray()),
        ["measured"] = Summary.Measured,
        ["from_records"] = Summary.FromRecords,
        ["exit_code"] = Summary.ExitCode,
    };

    public string ToJsonText() => ToJson().ToJsonString(_indented);

    /// <summary>"12.3 ms (1.57x)", or without the ratio and with what it leaves out when the baseline has no result for some operator, or "no result" for none.</summary>
    private string Baseline(string policy, double? total) =>
        total is null ? "no result"
        : Summary.PolicyMissing(policy) > 0 ? $"{Ms(total)} ms{Summary.PolicyMissingNote(policy)}"
        : $"{Ms(total)} ms ({Speedup(total)})";

    /// <summary>A baseline total over the model total: how much faster the tuned model is.</summary>
    private string Speedup(double? baseline) =>
        baseline is { } b && Summary.ModelTotalMs is { } total && total > 0 ? (b / total).ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;

    private static string Ms(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Percent(double? value) => value is { } v ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";
}
