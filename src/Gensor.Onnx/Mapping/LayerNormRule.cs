using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// <c>LayerNormalization</c> (opset 17) as three Gensor operators: the mean of
/// each row (a <c>+=</c> whose epilogue divides by the row length); the
/// reciprocal standard deviation, <c>1 / sqrt(sum((x - mean)^2) / L + epsilon)</c>
/// (two passes rather than E[x^2] - E[x]^2, which cancels badly in float32);
/// and the element-wise <c>(x - mean) * rstd * scale + bias</c>. A row is every
/// dimension from <c>axis</c> on. The optional Mean and InvStdDev outputs are
/// the first two operators' outputs.
/// </summary>
internal static class LayerNormRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var x = context.FloatInput(node, 0);
        var scale = context.FloatInput(node, 1);
        var bias = context.OptionalFloatInput(node, 2);
        if (x.Rank == 0)
        {
            throw new UnsupportedNodeException("a scalar input");
        }
        var axis = RowView.Axis(node.Int("axis", -1), x.Rank);
        var epsilon = node.Float("epsilon", 1e-5f);
        var rows = new RowView(x, Enumerable.Range(axis, x.Rank - axis).ToArray());

        var meanOutput = node.OutputAt(1) is { } meanName
            ? new TensorValue(meanName, rows.KeepDimsShape, TensorValue.Float)
            : new TensorValue($"gensor:{name}:mean", rows.KeptShape, TensorValue.Float);
        var mean = rows.Reduce($"{name}.mean", "LayerNormalization", name, meanOutput, Reduction.Sum);
        mean.Body = rows.ReadInRow(mean, "X");
        mean.Set(new Binary(BinaryOp.Divide, mean.Current, new Constant(rows.Length)));
        var meanValue = RowView.ResultOf(mean);

        var rstdOutput = node.OutputAt(2) is { } rstdName
            ? new TensorValue(rstdName, rows.KeepDimsShape, TensorValue.Float)
            : new TensorValue($"gensor:{name}:rstd", rows.KeptShape, TensorValue.Float);
        var rstd = rows.Reduce($"{name}.rstd", "LayerNormalization", name, rstdOutput, Reduction.Sum);
        var centered = new Binary(BinaryOp.Subtract, rows.ReadInRow(rstd, "X"), rows.ReadRowResult(rstd, meanValue, "M"));
        rstd.Body = new Binary(BinaryOp.Multiply, centered, centered);
        rstd.Set(new Binary(BinaryOp.Divide, new Constant(1),
            new Unary(UnaryOp.Sqrt, new Binary(BinaryOp.Add, new Binary(BinaryOp.Divide, rstd.Current, new Constant(rows.Length)), Literal.Of(epsilon)))));
        var rstdValue = RowView.ResultOf(rstd);

        var normalize = rows.Elementwise(name, "LayerNormalization", name, new TensorValue(node.Output[0], x.Shape, TensorValue.Float));
        Expr value = new Binary(BinaryOp.Multiply,
            new Binary(BinaryOp.Subtract, rows.ReadElement(normalize, "X"), rows.ReadRowResultAtElement(normalize, meanValue, "M")),
            rows.ReadRowResultAtElement(normalize, rstdValue, "R"));
        value = new Binary(BinaryOp.Multiply, value, normalize.ReadBroadcast("scale", scale));
        if (bias is not null)
        {
            value = new Binary(BinaryOp.Add, value, normalize.ReadBroadcast("bias", bias));
        }
        normalize.Body = value;
        return [mean, rstd, normalize];
    }
}
