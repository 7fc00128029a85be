using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// <c>Softmax</c> as three Gensor operators, because each reduction is its own
/// operator: the maximum of each row (<c>max=</c>); the sum of
/// <c>exp(x - max)</c> (<c>+=</c>), whose epilogue stores its reciprocal; and the
/// element-wise <c>exp(x - max) * reciprocal</c>. Subtracting the maximum keeps
/// <c>exp</c> in range, as softmax kernels do. Before opset 13 the input is
/// coerced to 2-D at <c>axis</c>, so a row is every dimension from <c>axis</c>
/// on; from opset 13 it is <c>axis</c> alone.
/// </summary>
internal static class SoftmaxRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var x = context.FloatInput(node, 0);
        if (x.Rank == 0)
        {
            throw new UnsupportedNodeException("a scalar input");
        }
        var coerced = context.Opset < 13;
        var axis = RowView.Axis(node.Int("axis", coerced ? 1 : -1), x.Rank);
        var rows = new RowView(x, Enumerable.Range(0, x.Rank).Where(d => coerced ? d >= axis : d == axis).ToArray());

        var max = rows.Reduce($"{name}.max", "Softmax", name, new TensorValue($"gensor:{name}:max", rows.KeptShape, TensorValue.Float), Reduction.Max);
        max.Body = rows.ReadInRow(max, "X");
        var maxValue = RowView.ResultOf(max);

        var sum = rows.Reduce($"{name}.sum", "Softmax", name, new TensorValue($"gensor:{name}:rsum", rows.KeptShape, TensorValue.Float), Reduction.Sum);
        sum.Body = new Unary(UnaryOp.Exp, new Binary(BinaryOp.Subtract, rows.ReadInRow(sum, "X"), rows.ReadRowResult(sum, maxValue, "M")));
        sum.Set(new Binary(BinaryOp.Divide, new Constant(1), sum.Current));
        var reciprocal = RowView.ResultOf(sum);

        var normalize = rows.Elementwise(name, "Softmax", name, new TensorValue(node.Output[0], x.Shape, TensorValue.Float));
        normalize.Body = new Binary(BinaryOp.Multiply,
            new Unary(UnaryOp.Exp, new Binary(BinaryOp.Subtract, rows.ReadElement(normalize, "X"), rows.ReadRowResultAtElement(normalize, maxValue, "M"))),
            rows.ReadRowResultAtElement(normalize, reciprocal, "R"));
        return [max, sum, normalize];
    }
}
