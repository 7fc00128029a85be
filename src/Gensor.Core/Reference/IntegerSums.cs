using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// When integer inputs make a sum exact for every correct kernel. A body built only of integer
/// operations on its inputs (reads, integer constants, +, -, ×, negation, abs, relu, max, min) has
/// an integer value at every point, and with magnitudes small enough every value on the way, every
/// term and every partial sum is an integer the arithmetic's format holds: in any order, fused or
/// not, split or not, the sum comes out exact. Division and the transcendental functions round, so
/// a body with them is never counted exact.
/// </summary>
internal static class IntegerSums
{
    /// <summary>
    /// Whether <paramref name="op"/> is a sum whose every term and partial sum stays an integer within
    /// <paramref name="significand"/> (2^24 for float32) when each input's values are integers of at
    /// most <paramref name="largest"/>(tensor) in magnitude.
    /// </summary>
    public static bool IsExact(Operator op, Func<string, double> largest, double significand) =>
        op.Reduction == Reduction.Sum
        && Bound(op.Body, op.Output.Name, largest) is var (term, widest)
        && Math.Max(widest, term * op.ReductionLength) <= significand;

    /// <summary>Whether the body is built of integer operations on inputs alone (so that integer inputs can prove anything).</summary>
    public static bool HasIntegerBody(Operator op) =>
        op.Reduction == Reduction.Sum && Bound(op.Body, op.Output.Name, _ => 1) is not null;

    /// <summary>
    /// The largest magnitude <paramref name="e"/> can take, and the largest any of its parts can take on
    /// the way, for integer inputs of at most <paramref name="largest"/>; null when it is not built of
    /// integer operations on inputs alone.
    /// </summary>
    private static (double Value, double Widest)? Bound(Expr e, string output, Func<string, double> largest)
    {
        switch (e)
        {
            case Constant c when c.Value == Math.Round(c.Value) && double.IsFinite(c.Value):
                return (Math.Abs(c.Value), Math.Abs(c.Value));
            case TensorRead read when read.Tensor != output:
                var value = largest(read.Tensor);
                return (value, value);
            case Unary { Op: UnaryOp.Negate or UnaryOp.Abs or UnaryOp.Relu } unary:
                return Bound(unary.Operand, output, largest);
            case Binary { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Max or BinaryOp.Min } binary:
                if (Bound(binary.Left, output, largest) is not var (left, leftWidest) || Bound(binary.Right, output, largest) is not var (right, rightWidest))
                {
                    return null;
                }
                var combined = binary.Op switch
                {
                    BinaryOp.Multiply => left * right,
                    BinaryOp.Max or BinaryOp.Min => Math.Max(left, right),
                    _ => left + right,
                };
                return (combined, Math.Max(combined, Math.Max(leftWidest, rightWidest)));
            default:
                return null;
        }
    }
}
