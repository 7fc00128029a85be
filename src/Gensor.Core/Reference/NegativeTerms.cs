using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// Signs for a maximum's integer inputs under which every term is negative: a maximum that starts
/// from 0 instead of the lowest value is then wrong at every output, where random inputs of either
/// sign show it only when every term of an output is negative (a 3x3 window of one read once in 512;
/// a min-pooling, written as the maximum of a negated read, or a maximum of products, as rarely).
/// Each input takes one sign; the body's sign follows from its operations on nonzero integers.
/// </summary>
internal static class NegativeTerms
{
    /// <summary>Most inputs whose signs are searched (2^n assignments); a body of more is left to random inputs.</summary>
    private const int MaxInputs = 8;

    /// <summary>
    /// Each input's sign (-1 or +1) under which every term of <paramref name="op"/>'s body is negative,
    /// all negative first; null when no assignment makes it so.
    /// </summary>
    public static IReadOnlyDictionary<string, int>? Signs(Operator op)
    {
        var names = op.Inputs.Select(tensor => tensor.Name).ToArray();
        if (names.Length > MaxInputs)
        {
            return null;
        }
        for (var mask = 0; mask < 1 << names.Length; mask++)
        {
            var signs = new Dictionary<string, int>();
            for (var i = 0; i < names.Length; i++)
            {
                signs[names[i]] = (mask >> i & 1) == 0 ? -1 : 1;
            }
            if (Sign(op.Body, op.Output.Name, signs) < 0)
            {
                return signs;
            }
        }
        return null;
    }

    /// <summary>The sign every value of <paramref name="e"/> takes (-1 or +1), or 0 where it may take either or be zero.</summary>
    private static int Sign(Expr e, string output, IReadOnlyDictionary<string, int> signs)
    {
        switch (e)
        {
            case Constant c:
                return double.IsNaN(c.Value) ? 0 : Math.Sign(c.Value);
            case TensorRead read:
                return read.Tensor != output && signs.TryGetValue(read.Tensor, out var sign) ? sign : 0;
            case Unary unary:
                var operand = Sign(unary.Operand, output, signs);
                return unary.Op switch
                {
                    UnaryOp.Negate => -operand,
                    UnaryOp.Abs => operand != 0 ? 1 : 0,
                    UnaryOp.Relu => operand > 0 ? 1 : 0,
                    _ => 0,
                };
            case Binary binary:
                var (left, right) = (Sign(binary.Left, output, signs), Sign(binary.Right, output, signs));
                return binary.Op switch
                {
                    BinaryOp.Multiply or BinaryOp.Divide => left * right,
                    BinaryOp.Add => left == right ? left : 0,
                    BinaryOp.Subtract => left == -right ? left : 0,
                    BinaryOp.Max => left < 0 && right < 0 ? -1 : left > 0 || right > 0 ? 1 : 0,
                    BinaryOp.Min => left < 0 || right < 0 ? -1 : left > 0 && right > 0 ? 1 : 0,
                    _ => 0,
                };
            default:
                return 0;
        }
    }
}
