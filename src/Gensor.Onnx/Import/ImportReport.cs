using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;

namespace Gensor.Onnx.Import;

/// <summary>
/// What <c>gensor import</c> tells about a model: its inputs, the suite
/// entries, what became of each type of node (with the multiply-adds of the
/// operators computing it), the unsupported nodes and the warnings.
/// </summary>
public sealed class ImportReport(ImportedModel model, string? suiteFile)
{
    // Relaxed escaping keeps "+=" readable in the compute texts.
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Per ONNX type in order of first occurrence: node count, count per role, and the operators' iteration points.</summary>
    public IReadOnlyList<(string Type, int Nodes, IReadOnlyDictionary<NodeRole, int> Roles, long Points)> Types { get; } = TypesOf(model);

    public void WriteText(TextWriter w)
    {
        w.WriteLine($"model:     {model.Source} (opset {model.Opset}, {model.Nodes.Count} nodes)");
        w.WriteLine($"inputs:    {string.Join(", ", model.Inputs.Select(input => $"{input.Name} [{string.Join("x", input.Shape)}]"))}");
        w.WriteLine($"operators: {model.Kernels.Count}, merged into {model.Entries.Count} suite entries");
        var width = model.Entries.Select(entry => entry.Spec.Name.Length).Append(20).Max();
        w.WriteLine($"{"#",3}  {"entry".PadRight(width)} {"onnx_op",-18} {"count",5} {"points",12}  compute");
        var number = 0;
        foreach (var entry in model.Entries)
        {
            var epilogue = entry.Spec.Epilogue is null ? "" : $"; epilogue {entry.Spec.Epilogue}";
            w.WriteLine($"{++number,3}  {entry.Spec.Name.PadRight(width)} {entry.OnnxOp,-18} {entry.Count,5} {entry.IterationPoints,12}  {entry.Spec.Compute}{epilogue}");
        }
        w.WriteLine("nodes:");
        w.WriteLine($"  {"type",-20} {"nodes",5} {"kernel",7} {"fused",6} {"layout",7} {"constant",9} {"unsupported",12} {"G points",9}");
        foreach (var (type, nodes, roles, points) in Types)
        {
            string Count(NodeRole role) => roles.TryGetValue(role, out var n) && n > 0 ? n.ToString(CultureInfo.InvariantCulture) : "-";
            var giga = points > 0 ? (points / 1e9).ToString("F3", CultureInfo.InvariantCulture) : "-";
            w.WriteLine($"  {type,-20} {nodes,5} {Count(NodeRole.Kernel),7} {Count(NodeRole.Fused),6} {Count(NodeRole.Layout),7} {Count(NodeRole.Constant),9} {Count(NodeRole.Unsupported),12} {giga,9}");
        }
        var unsupported = model.Unsupported.ToList();
        w.WriteLine(unsupported.Count == 0
            ? "unsupported: none"
            : $"unsupported: {string.Join(", ", unsupported.GroupBy(node => node.OpType).Select(group => $"{group.Key} x{group.Count()}"))}");
        foreach (var node in unsupported)
        {
            w.WriteLine($"  {node.Name} ({node.OpType}): {node.Reason}");
        }
        if (suiteFile is not null)
        {
            w.WriteLine($"wrote:     {Printable.Text(suiteFile)}");
        }
    }

    public JsonObject ToJson() => new()
    {
        ["model"] = model.Source,
        ["opset"] = model.Opset,
        ["inputs"] = new JsonArray(model.Inputs.Select(input => (JsonNode)new JsonObject
        {
            ["name"] = input.Name,
            ["shape"] = new JsonArray(input.Shape.Select(extent => (JsonNode)extent).ToArray()),
        }).ToArray()),
        ["operators"] = model.Kernels.Count,
        ["entries"] = new JsonArray(model.Entries.Select(entry => (JsonNode)new JsonObject
        {
            ["name"] = entry.Spec.Name,
            ["onnx_op"] = entry.OnnxOp,
            ["count"] = entry.Count,
            ["iteration_points"] = entry.IterationPoints,
            ["compute"] = entry.Spec.Compute,
            ["epilogue"] = entry.Spec.Epilogue,
            ["nodes"] = new JsonArray(entry.Spec.Nodes!.Select(node => (JsonNode)node).ToArray()),
        }).ToArray()),
        ["node_types"] = new JsonArray(Types.Select(t =>
        {
            var roles = new JsonObject();
            foreach (var (role, count) in t.Roles)
            {
                roles[role.ToString().ToLowerInvariant()] = count;
            }
            return (JsonNode)new JsonObject { ["type"] = t.Type, ["nodes"] = t.Nodes, ["roles"] = roles, ["iteration_points"] = t.Points };
        }).ToArray()),
        ["unsupported"] = new JsonArray(model.Unsupported.Select(node => (JsonNode)new JsonObject
        {
            ["node"] = node.Name,
            ["type"] = node.OpType,
            ["reason"] = node.Reason,
        }).ToArray()),
        ["warnings"] = new JsonArray(model.Warnings.Select(warning => (JsonNode)warning).ToArray()),
        ["suite"] = suiteFile,
    };

    public string ToJsonText() => ToJson().ToJsonString(_indented);

    private static List<(string, int, IReadOnlyDictionary<NodeRole, int>, long)> TypesOf(ImportedModel model)
    {
        // The points of an operator count for the type of node it computes, once per occurrence.
        var points = model.Kernels.GroupBy(kernel => kernel.Spec.OnnxOp!).ToDictionary(group => group.Key, group => group.Sum(kernel => kernel.IterationPoints));
        return model.Nodes.GroupBy(node => node.OpType)
            .Select(group => (group.Key, group.Count(),
                (IReadOnlyDictionary<NodeRole, int>)group.GroupBy(node => node.Role).ToDictionary(roles => roles.Key, roles => roles.Count()),
                points.GetValueOrDefault(group.Key)))
            .ToList();
    }
}
