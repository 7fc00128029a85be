using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Tuning.Reports;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// The lines a parent and a measurement worker exchange, one JSON object per
/// line: the parent sends one job; the worker answers <c>{"ready":...}</c> once
/// its kernels are compiled, then one result per schedule, in order.
/// </summary>
public static class WorkerProtocol
{
    /// <summary>The job: the operator as a spec, the seed, the device, and the schedules' text forms.</summary>
    public static string Job(string specJson, int seed, DeviceKind device, IEnumerable<string> schedules) => new JsonObject
    {
        ["spec"] = JsonNode.Parse(specJson),
        ["seed"] = seed,
        ["device"] = device.ToString().ToLowerInvariant(),
        ["schedules"] = new JsonArray(schedules.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
    }.ToJsonString();

    public static string Ready(double compileMs) => new JsonObject { ["ready"] = true, ["compile_ms"] = compileMs }.ToJsonString();

    public static string Result(int index, Measurement m) => new JsonObject
    {
        ["index"] = index,
        ["verified"] = m.Verified,
        ["max_abs_error"] = JsonNumber.Finite(m.MaxAbsError),
        ["tolerance"] = JsonNumber.Finite(m.Tolerance),
        ["median_ms"] = m.MedianMs,
        ["min_ms"] = m.MinMs,
        ["max_ms"] = m.MaxMs,
        ["repetitions"] = m.Repetitions,
        ["load_ms"] = m.LoadMs,
        ["error"] = m.Error,
        ["checked_elements"] = m.CheckedElements,
    }.ToJsonString();

    public static Measurement ReadResult(JsonNode line) => new(
        (bool?)line["verified"] ?? false,
        (double?)line["max_abs_error"] ?? double.NaN,
        (double?)line["median_ms"],
        (double?)line["min_ms"],
        (double?)line["max_ms"],
        (int?)line["repetitions"] ?? 0,
        (double?)line["load_ms"] ?? 0,
        (string?)line["error"])
    {
        Tolerance = (double?)line["tolerance"] ?? double.NaN,
        CheckedElements = (int?)line["checked_elements"],
    };

    public static JsonNode? Parse(string line)
    {
        try
        {
            return JsonNode.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
