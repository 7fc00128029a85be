using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gensor.Tuning.Reports;

/// <summary>
/// The JSON object of a tuning run: what <c>gensor tune --format json</c>
/// prints and what <c>report.json</c> holds. Times are milliseconds; a
/// simulated device's times are marked <c>"simulated": true</c>.
/// </summary>
public static class TuneReportJson
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static JsonObject ToJson(TuneReport report)
    {
        var json = new JsonObject
        {
            ["name"] = report.Operator.Name,
            ["device"] = report.Device,
            ["simulated"] = report.Simulated,
            ["policy"] = report.Policy,
            ["target"] = report.Target,
            ["states_visited"] = report.StatesVisited,
            ["dtypes"] = Types(report.Operator),
            // The best kernel's rule: TF32 tensor cores round the inputs, which the tolerance allows for.
            ["tf32"] = report.Best?.Schedule.Mma == Etir.MmaShape.M16N8K8Tf32,
            ["tolerance"] = Reference.Tolerance.Of(report.Operator, report.Best?.Schedule.Mma == Etir.MmaShape.M16N8K8Tf32).ToString(),
            ["measured"] = report.Candidates.Count(c => !c.FromRecords),
            ["from_records"] = report.Candidates.Count(c => c.FromRecords),
            ["best"] = report.Best is null ? null : Candidate(report.Best),
            ["candidates"] = new JsonArray(report.Candidates.Select(c => (JsonNode)Candidate(c)).ToArray()),
            ["timings"] = new JsonObject
            {
                ["construct_ms"] = Round(report.Timings.ConstructMs),
                ["compile_ms"] = Round(report.Timings.CompileMs),
                ["measure_ms"] = Round(report.Timings.MeasureMs),
            },
        };
        if (report.BestPerformance is { } performance)
        {
            json["performance"] = Performance(performance);
        }
        if (report.CompilerCheck is { } check)
        {
            json["compiler_check"] = CompilerCheckJson.Summary(check);
        }
        if (report.BestSource is { } source)
        {
            json["launch"] = new JsonObject
            {
                ["grid"] = source.Launch.GridSize,
                ["group"] = source.Launch.GroupSize,
                ["shared_memory_bytes"] = source.Launch.SharedMemoryBytes,
            };
        }
        if (report.Resources is { } resources)
        {
            ResourcesJson.AddTo(json, resources, withDriver: true);
        }
        return json;
    }

    public static string ToText(TuneReport report) => ToText(ToJson(report));

    /// <summary><paramref name="json"/> (a report's object, maybe with fields of the caller's) as <see cref="ToText(TuneReport)"/> writes it.</summary>
    public static string ToText(JsonObject json) => json.ToJsonString(s_indented);

    private static JsonObject Candidate(CandidateResult candidate)
    {
        var m = candidate.Measurement;
        var json = new JsonObject
        {
            ["schedule"] = EtirJson.Schedule(candidate.Schedule),
            ["estimated_ms"] = candidate.EstimatedMs is { } e ? Round(e) : null,
            ["measured_ms"] = m.MedianMs is { } t ? Round(t) : null,
            ["min_ms"] = m.MinMs is { } min ? Round(min) : null,
            ["max_ms"] = m.MaxMs is { } max ? Round(max) : null,
            ["repetitions"] = m.Repetitions,
            ["verified"] = m.Verified,
            ["from_records"] = candidate.FromRecords,
            ["max_abs_error"] = JsonNumber.Finite(m.MaxAbsError),
            ["tolerance"] = JsonNumber.Finite(m.Tolerance),
            ["checked_elements"] = m.CheckedElements,
        };
        if (m.Error is not null)
        {
            json["error"] = m.Error;
        }
        if (candidate.Compiled is { } compiled)
        {
            json["compiled"] = CompilerCheckJson.Kernel(compiled);
        }
        return json;
    }

    /// <summary>Every tensor's element type by name, output first.</summary>
    public static JsonObject Types(Etir.Operator op) =>
        new(new[] { op.Output }.Concat(op.Inputs).Select(tensor => KeyValuePair.Create(tensor.Name, (JsonNode?)JsonValue.Create(Etir.ElementTypes.Name(tensor.Type)))));

    /// <summary>Throughput of a measured kernel against its device's profile (see <see cref="Reports.Performance"/>).</summary>
    public static JsonObject Performance(Performance p) => new()
    {
        ["gflops"] = Round(p.Gflops),
        ["gbs"] = Round(p.GBs),
        ["flops"] = p.Flops,
        ["bytes"] = p.Bytes,
        ["intensity_flops_per_byte"] = Round(p.Intensity),
        ["bound"] = p.MemoryBound ? "memory" : "compute",
        ["percent_of_peak"] = Round(p.PercentOfPeak),
        ["profile"] = p.Profile.Name,
    };

    private static double Round(double value) => Math.Round(value, 6);
}
