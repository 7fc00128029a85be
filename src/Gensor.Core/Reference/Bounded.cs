namespace Gensor.Reference;

/// <summary>
/// A value computed in double precision and a bound on how far the same
/// computation in a narrower <see cref="FloatFormat"/> may end up from it
/// (first-order running error analysis, Higham, <i>Accuracy and Stability of
/// Numerical Algorithms</i>, 2nd ed., section 3.3). An infinite error means the
/// narrow computation may overflow or be singular, so nothing can be said.
/// </summary>
internal readonly record struct Bounded(double Value, double Error)
{
    // GPU exp, tanh and division may be a few units in the last place off
    // (PTX ex2.approx is within 2 ulp, ILGPU.Algorithms' software versions a few
    // more); 8 ulp is 16 u. Division is allowed 2 ulp, square root 2 ulp.
    // ToleranceCeiling bounds these formulas over every input, so it reads the same constants.
    internal const double FunctionRoundings = 16;
    internal const double DivisionRoundings = 4;
    internal const double SqrtRoundings = 4;

    public static Bounded Exact(double value) => new(value, 0);

    public bool Unknown => double.IsPositiveInfinity(Error) || double.IsNaN(Error);

    /// <summary>A constant: rounded once to the format when the kernel is compiled.</summary>
    public static Bounded Constant(double value, FloatFormat format) => Finish(value, format.UnitRoundoff * Math.Abs(value), format);

    public static Bounded Negate(Bounded a) => new(-a.Value, a.Error);

    public static Bounded Abs(Bounded a) => new(Math.Abs(a.Value), a.Error);

    public static Bounded Relu(Bounded a) =>
        // A GPU's max returns the other operand of a NaN, the CPU's returns NaN: either may be right.
        a.Unknown || double.IsNaN(a.Value) ? Uncertain(a.Value) : new(Math.Max(a.Value, 0.0), a.Error);

    public static Bounded Add(Bounded a, Bounded b, double sign, FloatFormat f)
    {
        var value = a.Value + (sign * b.Value);
        if (a.Unknown || b.Unknown)
        {
            // Whatever the kernel made of an unknown operand (even an infinity or a NaN), the result inherits.
            return Uncertain(value);
        }
        var propagated = a.Error + b.Error;
        return Finish(value, propagated + Round(Math.Abs(value) + propagated, f), f);
    }

    public static Bounded Multiply(Bounded a, Bounded b, FloatFormat f)
    {
        var value = a.Value * b.Value;
        if (a.Unknown || b.Unknown)
        {
            return Uncertain(value);
        }
        var propagated = Times(Math.Abs(a.Value), b.Error) + Times(Math.Abs(b.Value), a.Error) + Times(a.Error, b.Error);
        return Finish(value, propagated + Round(Math.Abs(value) + propagated, f), f);
    }

    public static Bounded Divide(Bounded a, Bounded b, FloatFormat f)
    {
        var value = a.Value / b.Value;
        if (a.Unknown || b.Unknown)
        {
            return Uncertain(value);
        }
        if (b.Error == 0 && (a.Error == 0 || b.Value == 0 && Math.Abs(a.Value) > a.Error))
        {
            // Exact operands, or a dividend of certain sign over an exact zero: an infinity of known sign.
            return Finish(value, DivisionRoundings * Round(Math.Abs(value), f), f);
        }
        var divisor = Math.Abs(b.Value) - b.Error;
        if (!(divisor > 0))
        {
            // Rounding could make the divisor zero or flip its sign.
            return Uncertain(value);
        }
        var propagated = (a.Error + Times(Math.Abs(value), b.Error)) / divisor;
        return Finish(value, propagated + (DivisionRoundings * Round(Math.Abs(value) + propagated, f)), f);
    }

    public static Bounded Max(Bounded a, Bounded b, bool max)
    {
        if (a.Unknown || b.Unknown || double.IsNaN(a.Value) || double.IsNaN(b.Value))
        {
            return Uncertain(double.NaN);
        }
        // max and min are exact and move a value by no more than their operands move.
        return new(max ? Math.Max(a.Value, b.Value) : Math.Min(a.Value, b.Value), Math.Max(a.Error, b.Error));
    }

    public static Bounded Exp(Bounded a, FloatFormat f)
    {
        var value = Math.Exp(a.Value);
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        var propagated = Times(value, Math.Exp(a.Error) - 1);
        // exp(x) = 2^(x log2 e): rounding the argument costs u|x| relative.
        var roundings = FunctionRoundings + Math.Abs(a.Value);
        return Finish(value, propagated + (roundings * Round(value + propagated, f)), f);
    }

    public static Bounded Tanh(Bounded a, FloatFormat f)
    {
        var value = Math.Tanh(a.Value);
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        // tanh is 1-Lipschitz and bounded by 1; formulas through exp lose relative
        // accuracy near 0 but keep a few u of absolute accuracy.
        var propagated = Math.Min(a.Error, 2.0);
        var roundings = FunctionRoundings + (2 * Math.Min(Math.Abs(a.Value), 20.0));
        return Finish(value, propagated + (roundings * Round(1.0, f)), f);
    }

    public static Bounded Sigmoid(Bounded a, FloatFormat f)
    {
        // The kernel computes 1 / (1 + exp(-x)); sigmoid has slope at most 1/4.
        var value = 1.0 / (1.0 + Math.Exp(-a.Value));
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        var propagated = Math.Min(a.Error / 4, 1.0);
        var slope = value * (1 - value);
        var fromExp = slope * (FunctionRoundings + Math.Abs(a.Value)) * f.UnitRoundoff;
        return Finish(value, propagated + fromExp + ((1 + DivisionRoundings) * Round(value + propagated, f)), f);
    }

    public static Bounded Sqrt(Bounded a, FloatFormat f)
    {
        var value = Math.Sqrt(a.Value);
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        if (a.Error == 0)
        {
            return Finish(value, SqrtRoundings * Round(value, f), f);
        }
        if (!(a.Value - a.Error >= 0))
        {
            // Rounding could make the argument negative: the kernel may give NaN.
            return Uncertain(value);
        }
        // |sqrt(x) - sqrt(y)| <= |x - y| / sqrt(x), and <= sqrt(|x - y|).
        var propagated = a.Value > 0 ? Math.Min(Math.Sqrt(a.Error), a.Error / value) : Math.Sqrt(a.Error);
        return Finish(value, propagated + (SqrtRoundings * Round(value + propagated, f)), f);
    }

    /// <summary>
    /// A sum of <paramref name="terms"/> terms in any order: each partial sum is
    /// rounded once, and no partial sum is larger than the sum of the absolute
    /// terms, so the rounding error is at most (n-1) u times that sum (the
    /// first-order part of Higham's gamma_(n-1)), plus the terms' own errors.
    /// </summary>
    public static Bounded Sum(double value, double absoluteSum, double termErrors, long terms, bool anyUnknown, FloatFormat f)
    {
        if (anyUnknown)
        {
            return Uncertain(value);
        }
        if (!double.IsFinite(value))
        {
            // Exact infinite terms: the format's sum is the same infinity or NaN in any order.
            return Finish(value, 0, f);
        }
        var partials = absoluteSum + termErrors;
        var gamma = (terms - 1) * f.UnitRoundoff;
        if (gamma >= 0.5)
        {
            return Uncertain(value);
        }
        var error = termErrors + (gamma / (1 - gamma) * partials) + (terms * f.MinNormal);
        var result = Finish(value, error, f);
        // A partial sum may overflow even when the total does not.
        return partials >= Overflow(f) && !double.IsInfinity(result.Value) ? Uncertain(value) : result;
    }

    /// <summary>
    /// Settles what the format makes of a value: a NaN or an infinity that the
    /// double computation reached exactly is exact; a value that certainly
    /// overflows the format is that infinity; one that may overflow is unknown.
    /// </summary>
    public static Bounded Finish(double value, double error, FloatFormat f)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            // The operands were known (the callers return early otherwise), so IEEE
            // arithmetic reaches this NaN or infinity in the format too; the error
            // computed from it is meaningless, not large.
            return new(value, 0);
        }
        if (double.IsNaN(error) || double.IsPositiveInfinity(error))
        {
            return Uncertain(value);
        }
        var overflow = Overflow(f);
        if (Math.Abs(value) - error >= overflow)
        {
            return new(value > 0 ? double.PositiveInfinity : double.NegativeInfinity, 0);
        }
        return Math.Abs(value) + error >= overflow ? Uncertain(value) : new(value, error);
    }

    private static Bounded Uncertain(double value) => new(value, double.PositiveInfinity);

    /// <summary>
    /// The size from which a value rounds to infinity: round to nearest sends everything from the
    /// midpoint of Max and the next power of two, 2^(emax+1) (1 - u/2), there (65520 for float16,
    /// 2^128 - 2^103 for float32). Max (1 + u) was half a unit too high: a float16 result of 65521
    /// passed as certainly finite and a correct kernel's infinity failed (found by fuzzing).
    /// </summary>
    internal static double Overflow(FloatFormat f)
    {
        // Max = 2^(emax+1) (1 - u) exactly, so the quotient and the difference are exact.
        var top = f.MaxValue / (1 - f.UnitRoundoff);
        return top - (top * f.UnitRoundoff / 2);
    }

    /// <summary>One rounding of a result of this size, including a flush of a subnormal result to zero.</summary>
    internal static double Round(double magnitude, FloatFormat f) => (f.UnitRoundoff * magnitude) + f.MinNormal;

    // 0 * infinity is 0 here: an exact zero error stays zero next to an infinite value.
    internal static double Times(double x, double y) => x == 0 || y == 0 ? 0 : x * y;
}
