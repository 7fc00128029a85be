using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// The largest tolerance the verifier can state for an operator, whatever the
/// seed: the same forward error bound as <see cref="ReferenceEvaluator"/>, but
/// over every input <see cref="InputGenerator"/> can make (each at most
/// <see cref="InputGenerator.MaxMagnitude"/> in size) instead of one set of
/// them. A record claiming more was not verified by gensor (issue 13): its
/// operator, extents, types and reduction length alone rule it out.
/// <para>
/// Each subexpression is bounded by the most its value and its error bound can
/// be (and, for divisors, the least its size can be), following
/// <see cref="Bounded"/>'s formulas, which grow with their operands' sizes and
/// errors. Where nothing bounds them (a division by something that may be near
/// zero, an exp of a large value), the format's range still does: an element
/// the verifier checks has a value and an error bound that stay below the
/// format's overflow threshold, or it would not have been checked.
/// </para>
/// </summary>
public static class ToleranceCeiling
{
    /// <summary>
    /// The most <see cref="Verifier.Compare"/> can report as
    /// <see cref="VerificationResult.Tolerance"/> for a kernel of <paramref name="op"/>
    /// that makes the roundings <paramref name="rounding"/> describes (<see cref="Tolerance.Of"/>).
    /// </summary>
    public static double Of(Operator op, Tolerance rounding)
    {
        var f = rounding.Arithmetic;
        var input = new Range(InputGenerator.MaxMagnitude, 0, rounding.InputRounding * InputGenerator.MaxMagnitude);
        var term = Walk(op.Body, input, op.Output.Name, null, f);
        var n = (double)op.ReductionLength;
        var reduced = op.Reduction switch
        {
            Reduction.Sum => Sum(term, n, f),
            _ => term,
        };
        reduced = Cap(reduced, f);
        var result = op.Epilogue is null ? reduced : Walk(op.Epilogue, input, op.Output.Name, reduced, f);
        FloatFormat? stored = null;
        if (rounding.Output != ElementType.F32)
        {
            stored = FloatFormat.Of(rounding.Output);
            // A checked element stored in a narrower type is below that type's overflow too.
            result = Cap(result, stored);
        }
        return Verifier.Tolerance(result.Magnitude, result.Error, f, stored);
    }

    /// <summary>
    /// Bounds on a subexpression over all inputs: its value's size is at most
    /// <paramref name="Magnitude"/> and at least <paramref name="Least"/>, and its
    /// error bound at most <paramref name="Error"/>, wherever both are finite.
    /// </summary>
    private readonly record struct Range(double Magnitude, double Least, double Error);

    private static Range Walk(Expr expr, Range input, string output, Range? accumulated, FloatFormat f)
    {
        // Recursion is bounded by the parser's depth limit, as in ReferenceEvaluator.Compile.
        var range = expr switch
        {
            Constant c => new Range(Math.Abs(c.Value), Math.Abs(c.Value), Bounded.Round(Math.Abs(c.Value), f)),
            // Only the epilogue reads the output: the accumulated value.
            TensorRead read when read.Tensor == output && accumulated is { } acc => acc,
            TensorRead => input,
            Unary unary => UnaryOf(unary.Op, Walk(unary.Operand, input, output, accumulated, f), f),
            Binary binary => BinaryOf(binary.Op, Walk(binary.Left, input, output, accumulated, f), Walk(binary.Right, input, output, accumulated, f), f),
            _ => throw new NotSupportedException($"expression {expr.GetType().Name}"),
        };
        return Cap(range, f);
    }

    private static Range UnaryOf(UnaryOp op, Range a, FloatFormat f)
    {
        var u = f.UnitRoundoff;
        switch (op)
        {
            case UnaryOp.Negate:
            case UnaryOp.Abs:
                return a;
            case UnaryOp.Relu:
                return a with { Least = 0 };
            case UnaryOp.Exp:
            {
                var value = Math.Exp(a.Magnitude);
                var propagated = Bounded.Times(value, Math.Exp(a.Error) - 1);
                return new Range(value, Math.Exp(-a.Magnitude), propagated + ((Bounded.FunctionRoundings + a.Magnitude) * Bounded.Round(value + propagated, f)));
            }
            case UnaryOp.Tanh:
                return new Range(Math.Min(a.Magnitude, 1), Math.Tanh(a.Least),
                    Math.Min(a.Error, 2.0) + ((Bounded.FunctionRoundings + (2 * Math.Min(a.Magnitude, 20.0))) * Bounded.Round(1.0, f)));
            case UnaryOp.Sigmoid:
            {
                // slope * (16 + |x|) with slope = s(1-s) <= 1/4, and |x| s(1-s) < 0.225 for every x.
                var propagated = Math.Min(a.Error / 4, 1.0);
                var fromExp = ((Bounded.FunctionRoundings / 4) + Math.Min(a.Magnitude / 4, 0.25)) * u;
                var least = 1.0 / (1.0 + Math.Exp(a.Magnitude));
                return new Range(1, least, propagated + fromExp + ((1 + Bounded.DivisionRoundings) * Bounded.Round(1 + propagated, f)));
            }
            case UnaryOp.Sqrt:
            {
                // |sqrt(x) - sqrt(y)| <= sqrt(|x - y|), the larger of Bounded.Sqrt's two propagations.
                var value = Math.Sqrt(a.Magnitude);
                var propagated = Math.Sqrt(a.Error);
                return new Range(value, Math.Sqrt(a.Least), propagated + (Bounded.SqrtRoundings * Bounded.Round(value + propagated, f)));
            }
            default:
                throw new NotSupportedException($"unary operator {op}");
        }
    }

    private static Range BinaryOf(BinaryOp op, Range a, Range b, FloatFormat f)
    {
        switch (op)
        {
            case BinaryOp.Add:
            case BinaryOp.Subtract:
            {
                var value = a.Magnitude + b.Magnitude;
                var propagated = a.Error + b.Error;
                return new Range(value, Math.Max(0, Math.Max(a.Least - b.Magnitude, b.Least - a.Magnitude)), propagated + Bounded.Round(value + propagated, f));
            }
            case BinaryOp.Multiply:
            {
                var value = Bounded.Times(a.Magnitude, b.Magnitude);
                var propagated = Bounded.Times(a.Magnitude, b.Error) + Bounded.Times(b.Magnitude, a.Error) + Bounded.Times(a.Error, b.Error);
                return new Range(value, a.Least * b.Least, propagated + Bounded.Round(value + propagated, f));
            }
            case BinaryOp.Divide:
            {
                var least = b.Magnitude > 0 && double.IsFinite(b.Magnitude) ? a.Least / b.Magnitude : 0;
                var divisor = b.Least - b.Error;
                if (!(divisor > 0))
                {
                    // The divisor may be near zero: the quotient and its error are bounded by the format's range alone.
                    return new Range(double.PositiveInfinity, least, double.PositiveInfinity);
                }
                var value = a.Magnitude / b.Least;
                var propagated = (a.Error + Bounded.Times(value, b.Error)) / divisor;
                return new Range(value, least, propagated + (Bounded.DivisionRoundings * Bounded.Round(value + propagated, f)));
            }
            case BinaryOp.Max:
            case BinaryOp.Min:
                // The result is one of the operands.
                return new Range(Math.Max(a.Magnitude, b.Magnitude), Math.Min(a.Least, b.Least), Math.Max(a.Error, b.Error));
            default:
                throw new NotSupportedException($"binary operator {op}");
        }
    }

    /// <summary>Bounded.Sum over <paramref name="n"/> terms, each at most <paramref name="term"/>.</summary>
    private static Range Sum(Range term, double n, FloatFormat f)
    {
        var absoluteSum = n * term.Magnitude;
        var termErrors = n * term.Error;
        var gamma = (n - 1) * f.UnitRoundoff;
        if (gamma >= 0.5)
        {
            // The verifier checks no element of such a sum; the range bounds the ceiling all the same.
            return new Range(absoluteSum, 0, double.PositiveInfinity);
        }
        return new Range(absoluteSum, 0, termErrors + (gamma / (1 - gamma) * (absoluteSum + termErrors)) + (n * f.MinNormal));
    }

    /// <summary>
    /// A value the verifier checks is below the format's overflow threshold with its
    /// error bound (Bounded.Finish makes any other value infinite or unknown), so
    /// neither bound exceeds that threshold.
    /// </summary>
    private static Range Cap(Range range, FloatFormat f)
    {
        var overflow = Bounded.Overflow(f);
        return new Range(Math.Min(range.Magnitude, overflow), Math.Min(range.Least, overflow), Math.Min(range.Error, overflow));
    }
}
