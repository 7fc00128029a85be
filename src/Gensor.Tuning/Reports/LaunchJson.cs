using System.Text.Json.Nodes;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tuning.Emission;
using Gensor.Tuning.Records;

namespace Gensor.Tuning.Reports;

/// <summary>
/// launch.json: the <see cref="LaunchContract"/> of an emitted kernel with what
/// a caller needs besides (the kernel's class and entry point, the launcher,
/// the target, the schedule and where it came from). Its fields are documented
/// in the README ("launch.json").
/// </summary>
public static class LaunchJson
{
    /// <summary>
    /// The document; <paramref name="launcher"/> is null where none was written (PTX, OpenCL),
    /// and <paramref name="entry"/> is the entry point's name in the PTX or OpenCL text (null for C#).
    /// </summary>
    public static JsonObject Of(Operator op, HardwareProfile profile, string language, KernelSource source, LauncherName? launcher, ScheduleOrigin origin, string? entry = null) => new()
    {
        ["operator"] = op.Name,
        ["op_hash"] = CanonicalForm.Of(op).Hash,
        ["target"] = new JsonObject { ["name"] = profile.Name, ["architecture"] = profile.Architecture },
        ["language"] = language,
        ["kernel"] = new JsonObject
        {
            ["class"] = launcher is null ? source.ClassName : $"{launcher.Namespace}.{source.ClassName}",
            ["method"] = KernelSource.MethodName,
            ["entry"] = entry,
        },
        ["launcher"] = launcher is null ? null : new JsonObject
        {
            ["namespace"] = launcher.Namespace,
            ["class"] = launcher.Class,
            ["method"] = launcher.Method,
        },
        ["grid"] = source.Launch.GridSize,
        ["group"] = source.Launch.GroupSize,
        ["shared_memory_bytes"] = source.Launch.SharedMemoryBytes,
        ["zero_output_before_launch"] = source.Launch.AddsIntoOutput,
        ["arguments"] = new JsonArray(source.Launch.Tensors.Select((t, i) => (JsonNode)new JsonObject
        {
            ["index"] = i,
            ["tensor"] = t.Name,
            ["parameter"] = t.Parameter,
            ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["elements"] = t.ElementCount,
            ["element_type"] = t.ElementType,
            ["role"] = t.Role == TensorRole.Output ? "output" : "input",
            ["output"] = t.Role == TensorRole.Output,
        }).ToArray()),
        // After the tensors, a cp.async kernel's device addresses of its inputs (LaunchAddress), in parameter order.
        ["addresses"] = new JsonArray(source.Launch.Addresses.Select((a, i) => (JsonNode)new JsonObject
        {
            ["index"] = source.Launch.Tensors.Count + i,
            ["tensor"] = a.Tensor,
            ["parameter"] = a.Parameter,
            ["type"] = "i64",
        }).ToArray()),
        ["schedule"] = EtirJson.Schedule(source.State.Schedule),
        ["schedule_origin"] = Origin(origin),
    };

    private static JsonObject Origin(ScheduleOrigin origin) => new()
    {
        ["source"] = origin.Source,
        ["policy"] = origin.Policy,
        ["estimated_ms"] = origin.EstimatedMs,
        ["measured_ms"] = origin.Record?.MeasuredMs,
        ["device"] = origin.Record?.Device,
        ["profile"] = origin.Record?.Profile,
        ["version"] = origin.Record?.Version,
        // Whether the kernel measured is this build's lowering of the schedule (a build may lower it differently).
        ["this_build"] = origin.Record?.ByThisBuild,
        ["checked_elements"] = origin.Record?.Measurement.CheckedElements,
    };
}
