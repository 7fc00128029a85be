using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// Element-wise nodes as expressions of their operands. The importer either
/// folds one into the operator that produced its input (the expression then
/// acts on that operator's value, as its epilogue) or, where none can take it,
/// makes it an <c>=</c> operator of its own. Batch normalization in inference
/// form is the affine map <c>x * scale + shift</c> per channel, with
/// <c>scale = gamma / sqrt(var + epsilon)</c> and <c>shift = beta - mean * scale</c>
/// computed by the importer from the constant parameters.
/// </summary>
internal static class ElementwiseRule
{
    private static readonly Dictionary<string, UnaryOp> _unary = new()
    {
        ["Relu"] = UnaryOp.Relu,
        ["Sigmoid"] = UnaryOp.Sigmoid,
        ["Tanh"] = UnaryOp.Tanh,
        ["Exp"] = UnaryOp.Exp,
        ["Sqrt"] = UnaryOp.Sqrt,
        ["Abs"] = UnaryOp.Abs,
        ["Neg"] = UnaryOp.Negate,
    };

    private static readonly HashSet<string> _others =
        ["Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Reciprocal", "PRelu", "Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Mean", "BatchNormalization"];

    public static bool Handles(string opType) => _unary.ContainsKey(opType) || _others.Contains(opType);

    /// <summary>
    /// The node's tensor operands, one per operand slot of <see cref="Combine"/>:
    /// the value and the shape to broadcast it as (null to use its own), or null
    /// for an omitted optional input. Batch normalization's slots are the input
    /// and the folded scale and shift, which this defines as constants.
    /// </summary>
    public static IReadOnlyList<(TensorValue Value, long[]? AsShape)?> Operands(NodeProto node, string name, MappingContext context)
    {
        switch (node.OpType)
        {
            case "BatchNormalization":
                return BatchNormOperands(node, name, context);
            case "Clip" when context.Opset >= 11:
                return [(context.FloatInput(node, 0), null), Optional(context.OptionalFloatInput(node, 1)), Optional(context.OptionalFloatInput(node, 2))];
            default:
                return node.Input.Select((input, i) => input.Length == 0 ? null : ((TensorValue, long[]?)?)(context.FloatInput(node, i), null)).ToArray();
        }
    }

    /// <summary>The node's expression, given an expression for each operand slot (null where omitted).</summary>
    public static Expr Combine(NodeProto node, IReadOnlyList<Expr?> operands)
    {
        var a = operands[0] ?? throw new UnsupportedNodeException("the first input is missing");
        if (_unary.TryGetValue(node.OpType, out var op))
        {
            return new Unary(op, a);
        }
        switch (node.OpType)
        {
            case "Clip":
            {
                var (low, high) = operands.Count > 1
                    ? (operands[1], operands.Count > 2 ? operands[2] : null)
                    : (Bound(node, "min"), Bound(node, "max"));
                var clipped = low is null ? a : new Binary(BinaryOp.Max, a, low);
                return high is null ? clipped : new Binary(BinaryOp.Min, clipped, high);
            }
            case "LeakyRelu":
            {
                var alpha = node.Float("alpha", 0.01f);
                // max(x, alpha*x) is x for x >= 0 and alpha*x below only while 0 <= alpha <= 1.
                return alpha is >= 0 and <= 1
                    ? new Binary(BinaryOp.Max, a, Times(Literal.Of(alpha), a))
                    : throw new UnsupportedNodeException($"alpha {alpha} outside [0, 1]");
            }
            case "HardSigmoid":
                return Saturate(new Binary(BinaryOp.Add, Times(Literal.Of(node.Float("alpha", 0.2f)), a), Literal.Of(node.Float("beta", 0.5f))));
            case "HardSwish":
                return new Binary(BinaryOp.Multiply, a, Saturate(new Binary(BinaryOp.Add, Times(new Constant(1.0 / 6), a), new Constant(0.5))));
            case "Elu":
            {
                // x for x > 0, alpha*(exp(x)-1) below: max(x,0) + alpha*(exp(min(x,0)) - 1).
                var negative = new Binary(BinaryOp.Subtract, new Unary(UnaryOp.Exp, new Binary(BinaryOp.Min, a, new Constant(0))), new Constant(1));
                return new Binary(BinaryOp.Add, new Binary(BinaryOp.Max, a, new Constant(0)), Times(Literal.Of(node.Float("alpha", 1f)), negative));
            }
            case "Reciprocal":
                return new Binary(BinaryOp.Divide, new Constant(1), a);
            case "PRelu":
                return new Binary(BinaryOp.Add, new Binary(BinaryOp.Max, a, new Constant(0)), new Binary(BinaryOp.Multiply, Second(operands), new Binary(BinaryOp.Min, a, new Constant(0))));
            case "Add":
                return new Binary(BinaryOp.Add, a, Second(operands));
            case "Sub":
                return new Binary(BinaryOp.Subtract, a, Second(operands));
            case "Mul":
                return new Binary(BinaryOp.Multiply, a, Second(operands));
            case "Div":
                return new Binary(BinaryOp.Divide, a, Second(operands));
            case "Sum" or "Mean":
            {
                var sum = operands.Skip(1).Aggregate(a, (total, next) => new Binary(BinaryOp.Add, total, next!));
                return node.OpType == "Sum" || operands.Count == 1 ? sum : new Binary(BinaryOp.Divide, sum, new Constant(operands.Count));
            }
            case "Max" or "Min":
                return operands.Skip(1).Aggregate(a, (total, next) => new Binary(node.OpType == "Max" ? BinaryOp.Max : BinaryOp.Min, total, next!));
            case "BatchNormalization":
                return new Binary(BinaryOp.Add, new Binary(BinaryOp.Multiply, a, operands[1]!), operands[2]!);
            default:
                throw new UnsupportedNodeException($"{node.OpType} is not element-wise");
        }
    }

    /// <summary>Preferred tensor names for the operand slots, so imported expressions read naturally.</summary>
    public static string TensorName(NodeProto node, int slot) => (node.OpType, slot) switch
    {
        ("BatchNormalization", 1) => "scale",
        ("BatchNormalization", 2) => "shift",
        ("PRelu", 1) => "slope",
        ("Clip", 1) => "low",
        ("Clip", 2) => "high",
        _ => $"X{slot + 1}",
    };

    private static (TensorValue, long[]?)? Optional(TensorValue? value) => value is null ? null : (value, null);

    private static IReadOnlyList<(TensorValue Value, long[]? AsShape)?> BatchNormOperands(NodeProto node, string name, MappingContext context)
    {
        var x = context.FloatInput(node, 0);
        if (node.Output.Skip(1).Any(output => output.Length > 0))
        {
            throw new UnsupportedNodeException("training outputs (running mean and variance) are used");
        }
        if (node.Int("training_mode", 0) != 0)
        {
            throw new UnsupportedNodeException("training_mode");
        }
        if (x.Rank < 2)
        {
            throw new UnsupportedNodeException($"input of rank {x.Rank}");
        }
        var parameters = Enumerable.Range(1, 4).Select(i => context.FloatInput(node, i)).ToArray();
        var channels = x.Shape[1];
        if (parameters.Any(p => p.Constant is null))
        {
            throw new UnsupportedNodeException("its scale, bias, mean or variance is not a constant, so it cannot be folded");
        }
        if (parameters.Any(p => p.ElementCount != channels))
        {
            throw new UnsupportedNodeException($"parameters that are not one per channel ({channels})");
        }
        var epsilon = (double)node.Float("epsilon", 1e-5f);
        var (gamma, beta, mean, variance) = (parameters[0].Constant!, parameters[1].Constant!, parameters[2].Constant!, parameters[3].Constant!);
        double[] Scale() => Enumerable.Range(0, (int)channels).Select(c => gamma.Values[c] / Math.Sqrt(variance.Values[c] + epsilon)).ToArray();
        var scale = context.DefineConstant($"gensor:{name}:scale", [channels], Scale);
        var shift = context.DefineConstant($"gensor:{name}:shift", [channels], () =>
        {
            var s = Scale();
            return Enumerable.Range(0, (int)channels).Select(c => beta.Values[c] - (mean.Values[c] * s[c])).ToArray();
        });
        // Per channel: broadcast as [C,1,...,1] against [N,C,...].
        var asShape = new[] { channels }.Concat(Enumerable.Repeat(1L, x.Rank - 2)).ToArray();
        return [(x, null), (scale, asShape), (shift, asShape)];
    }

    private static Expr Second(IReadOnlyList<Expr?> operands) =>
        operands.Count > 1 && operands[1] is { } second ? second : throw new UnsupportedNodeException("the second input is missing");

    // Before opset 11 the bounds are attributes; an absent one leaves that side open.
    // A bound of -inf below or +inf above bounds nothing.
    private static Constant? Bound(NodeProto node, string attribute) =>
        node.Find(attribute) is { } given && !(attribute == "min" ? float.IsNegativeInfinity(given.F) : float.IsPositiveInfinity(given.F))
            ? Literal.Of(given.F)
            : null;

    private static Binary Times(Constant factor, Expr value) => new(BinaryOp.Multiply, factor, value);

    private static Binary Saturate(Expr value) => new(BinaryOp.Max, new Constant(0), new Binary(BinaryOp.Min, new Constant(1), value));
}
