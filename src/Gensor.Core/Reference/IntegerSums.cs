using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// When integer inputs make a reduction exact for every correct kernel. A body built only of exact
/// operations on its inputs (reads, integer and power-of-two fraction constants such as 0.5, +, -, ×,
/// division by a power of two, negation, abs, relu, max, min) takes, at every point, a multiple of
/// 2^-q (q the fraction bits its constants bring; 0 for integer bodies), and with magnitudes small
/// enough every value on the way, every term and every partial sum is such a multiple the arithmetic's
/// format holds: in any order, fused or not, split or not, the sum comes out exact. Other division and
/// the transcendental functions round, so a body with them is never counted exact.
/// </summary>
internal static class IntegerSums
{
    /// <summary>
    /// Whether <paramref name="op"/> is a sum whose every term and partial sum stays exact within
    /// <paramref name="significand"/> (2^24 for float32) when each input's values are integers of at
    /// most <paramref name="largest"/>(tensor) in magnitude.
    /// </summary>
    public static bool IsExact(Operator op, Func<string, double> largest, double significand) =>
        op.Reduction == Reduction.Sum
        && Bound(op.Body, op.Output.Name, largest) is var (term, widest, fractionBits)
        && Math.Max(widest, term * op.ReductionLength) * Math.Pow(2, fractionBits) <= significand;

    /// <summary>
    /// Whether every term of <paramref name="op"/>'s body, and every value on the way to it, stays exact
    /// within <paramref name="significand"/> for integer inputs of at most <paramref name="largest"/>(tensor):
    /// a maximum of such terms is then exact too.
    /// </summary>
    public static bool TermsAreExact(Operator op, Func<string, double> largest, double significand) =>
        Bound(op.Body, op.Output.Name, largest) is var (_, widest, fractionBits)
        && widest * Math.Pow(2, fractionBits) <= significand;

    /// <summary>Whether the body is built of exact operations on inputs alone (so that integer inputs can prove anything).</summary>
    public static bool HasIntegerBody(Operator op) =>
        op.Reduction == Reduction.Sum && Bound(op.Body, op.Output.Name, _ => 1) is not null;

    /// <summary>Most fraction bits a constant may bring (0.5 brings 1, 0.375 brings 3); beyond, it is not counted exact.</summary>
    private const int MaxFractionBits = 24;

    /// <summary>
    /// The largest magnitude <paramref name="e"/> can take, the largest any of its parts can take on the
    /// way, and the fraction bits of the multiples of 2^-bits it takes, for integer inputs of at most
    /// <paramref name="largest"/>; null when it is not built of exact operations on inputs alone.
    /// </summary>
    private static (double Value, double Widest, int FractionBits)? Bound(Expr e, string output, Func<string, double> largest)
    {
        switch (e)
        {
            case Constant c when FractionBits(c.Value) is { } constantBits:
                return (Math.Abs(c.Value), Math.Abs(c.Value), constantBits);
            case TensorRead read when read.Tensor != output:
                var value = largest(read.Tensor);
                return (value, value, 0);
            case Unary { Op: UnaryOp.Negate or UnaryOp.Abs or UnaryOp.Relu } unary:
                return Bound(unary.Operand, output, largest);
            case Binary { Op: BinaryOp.Divide, Right: Constant divisor } division
                when divisor.Value != 0 && FractionBits(1 / divisor.Value) is { } inverseBits && Bound(division.Left, output, largest) is var (dividend, dividendWidest, dividendBits):
                // A division by a power of two is a multiplication by its exact inverse.
                return (dividend / Math.Abs(divisor.Value), dividendWidest, dividendBits + inverseBits);
            case Binary { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Max or BinaryOp.Min } binary:
                if (Bound(binary.Left, output, largest) is not var (left, leftWidest, leftBits)
                    || Bound(binary.Right, output, largest) is not var (right, rightWidest, rightBits))
                {
                    return null;
                }
                var combined = binary.Op switch
                {
                    BinaryOp.Multiply => left * right,
                    BinaryOp.Max or BinaryOp.Min => Math.Max(left, right),
                    _ => left + right,
                };
                var bits = binary.Op == BinaryOp.Multiply ? leftBits + rightBits : Math.Max(leftBits, rightBits);
                return (combined, Math.Max(combined, Math.Max(leftWidest, rightWidest)), bits);
            default:
                return null;
        }
    }

    /// <summary>The fewest fraction bits q with <paramref name="value"/> × 2^q an integer, or null (not finite, or more than <see cref="MaxFractionBits"/>).</summary>
    private static int? FractionBits(double value)
    {
        if (!double.IsFinite(value))
        {
            return null;
        }
        for (var bits = 0; bits <= MaxFractionBits; bits++)
        {
            var scaled = value * Math.Pow(2, bits);
            if (scaled == Math.Round(scaled))
            {
                return bits;
            }
        }
        return null;
    }
}
