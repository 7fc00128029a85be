using Gensor.Etir;
using Gensor.Tuning.Reports;

namespace Gensor.Cli;

/// <summary>Short human-readable descriptions of an operator.</summary>
internal static class OperatorText
{
    public static string Describe(Operator op)
    {
        var assign = op.Reduction.Assignment();
        var output = $"{op.Output.Name}[{string.Join(",", op.SpatialAxes.Select(a => a.Name))}]";
        var extents = string.Join(", ", op.Axes.Select(a => $"{a.Name}={a.Extent}"));
        return $"{output} {assign} {op.Body}  ({extents})";
    }

    public static void WriteExplain(TextWriter w, Operator op)
    {
        w.WriteLine($"operator:  {op.Name}");
        w.WriteLine($"compute:   {Describe(op)}");
        w.WriteLine($"reduction: {EtirJson.ReductionName(op.Reduction)}");
        w.WriteLine($"epilogue:  {op.Epilogue?.ToString() ?? "none"}");
        w.WriteLine("axes:");
        foreach (var axis in op.Axes)
        {
            var fused = axis.FusedFrom.Count > 0 ? $"  ({string.Join(", ", axis.FusedFrom)} fused: one contiguous run in every tensor)" : "";
            w.WriteLine($"  {axis.Name,-8} extent {axis.Extent,-8} {(axis.Kind == AxisKind.Spatial ? "spatial" : "reduce")}{fused}");
        }
        w.WriteLine("tensors:");
        w.WriteLine($"  {op.Output.Name,-8} [{string.Join(",", op.Output.Shape)}] output");
        foreach (var tensor in op.Inputs)
        {
            w.WriteLine($"  {tensor.Name,-8} [{string.Join(",", tensor.Shape)}] input");
        }
    }
}
