using System.Text.Json.Nodes;
using Gensor.Etir;

namespace Gensor.Tuning.Reports;

/// <summary>JSON forms of ETIR values, shared by every command that prints them.</summary>
public static class EtirJson
{
    /// <summary>A schedule as an object: each field by name, and its stable text form.</summary>
    public static JsonObject Schedule(Schedule schedule)
    {
        var json = new JsonObject
        {
            ["text"] = schedule.ToString(),
            ["block"] = Numbers(schedule.BlockTile),
            ["thread"] = Numbers(schedule.ThreadTile),
            ["vthread"] = Numbers(schedule.VirtualThreads),
            ["reduce"] = Numbers(schedule.ReduceStep),
            ["shared"] = new JsonArray(schedule.SharedInputs.Select(name => (JsonNode)JsonValue.Create(name)!).ToArray()),
            ["vector"] = schedule.VectorWidth,
            ["pad"] = schedule.SharedPadding,
            ["register_prefetch"] = schedule.RegisterPrefetch,
            ["buffers"] = schedule.SharedBuffers,
            ["reduce_threads"] = schedule.ReduceThreads,
            ["split"] = schedule.SplitReduce,
            ["threads_per_block"] = schedule.ThreadsPerBlock,
        };
        // Only schedules with asynchronous copies say so, which keeps the other schedules' JSON as it was.
        if (schedule.AsyncCopy)
        {
            json["async_copy"] = true;
        }
        // Likewise a reduce run (run=4).
        if (schedule.ReduceRun != 1)
        {
            json["reduce_run"] = schedule.ReduceRun;
        }
        // Only tensor-core schedules say so, which keeps the other schedules' JSON as it was.
        if (schedule.Mma != MmaShape.None)
        {
            json["mma"] = Etir.Schedule.MmaName(schedule.Mma);
        }
        return json;
    }

    private static JsonObject AxisJson(Axis axis)
    {
        var json = new JsonObject
        {
            ["name"] = axis.Name,
            ["extent"] = axis.Extent,
            ["kind"] = axis.Kind == AxisKind.Spatial ? "spatial" : "reduce",
        };
        if (axis.FusedFrom.Count > 0)
        {
            json["fused_from"] = new JsonArray(axis.FusedFrom.Select(name => (JsonNode)name).ToArray());
        }
        return json;
    }

    /// <summary>The parsed operator: axes with extents and kinds, tensors with shapes, the reduction, the epilogue.</summary>
    public static JsonObject Operator(Operator op) => new()
    {
        ["name"] = op.Name,
        ["axes"] = new JsonArray(op.Axes.Select(axis => (JsonNode)AxisJson(axis)).ToArray()),
        ["output"] = Tensor(op.Output),
        ["inputs"] = new JsonArray(op.Inputs.Select(tensor => (JsonNode)Tensor(tensor)).ToArray()),
        ["reduction"] = ReductionName(op.Reduction),
        ["accumulator"] = op.AccumulatorType.Name(),
        ["body"] = op.Body.ToString(),
        ["epilogue"] = op.Epilogue?.ToString(),
        ["iteration_points"] = op.IterationPoints,
    };

    public static string ReductionName(Reduction reduction) => reduction switch
    {
        Reduction.Sum => "sum",
        Reduction.Max => "max",
        _ => "none",
    };

    private static JsonObject Tensor(Tensor tensor) => new()
    {
        ["name"] = tensor.Name,
        ["shape"] = Numbers(tensor.Shape),
        ["dtype"] = tensor.Type.Name(),
    };

    private static JsonArray Numbers(IEnumerable<int> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
