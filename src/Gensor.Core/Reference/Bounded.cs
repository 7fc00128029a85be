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
    /// <summary>
    /// Whether the kernel may give NaN here instead of <see cref="Value"/>: a maximum or a relu of a NaN
    /// is the other operand on a GPU (fmax) and NaN on the CPU, so both are right, and nothing else is.
    /// Every operation after it carries the choice (the NaN stays a NaN through arithmetic).
    /// </summary>
    public bool OrNaN { get; init; }

    /// <summary>
    /// Whether the kernel's value here is never negative, whatever rounding did before: an absolute
    /// value or a relu. A square root of it cannot be NaN even where its error bound reaches below
    /// zero (sqrt(abs(x - y)) where x and y round alike), so its bound stays finite.
    /// </summary>
    public bool NonNegative { get; init; }

    // GPU exp, tanh and division may be a few units in the last place off
    // (PTX ex2.approx is within 2 ulp, ILGPU.Algorithms' software versions a few
    // more); 8 ulp is 16 u. Division is allowed 2 ulp, square root 2 ulp.
    // ToleranceCeiling bounds these formulas over every input, so it reads the same constants.
    internal const double FunctionRoundings = 16;
    internal const double DivisionRoundings = 4;
    internal const double SqrtRoundings = 4;

    public static Bounded Exact(double value) => new(value, 0);

    public bool Unknown => double.IsPositiveInfinity(Error) || double.IsNaN(Error);

    /// <summary>
    /// A constant: rounded once to the format when the kernel is compiled. Below the smallest normal
    /// value the format holds it as a subnormal, or a GPU flushes it to zero (1e-45 is 1.4e-45 in float32),
    /// so the rounding is bounded as any result's is (<see cref="Round"/>), not by u of the value alone.
    /// </summary>
    public static Bounded Constant(double value, FloatFormat format) => Finish(value, Round(Math.Abs(value), format), format);

    public static Bounded Negate(Bounded a) => Carry(NegateAlone(a), a);

    private static Bounded NegateAlone(Bounded a) => new(-a.Value, a.Error);

    public static Bounded Abs(Bounded a) => Carry(AbsAlone(a), a);

    private static Bounded AbsAlone(Bounded a) => new(Math.Abs(a.Value), a.Error) { NonNegative = true };

    public static Bounded Relu(Bounded a) =>
        a.Unknown ? Uncertain(a.Value)
        // A GPU's max returns the other operand of a NaN, the CPU's returns NaN: either is right (OrNaN).
        : double.IsNaN(a.Value) ? new(0, 0) { OrNaN = true, NonNegative = true }
        : new Bounded(Math.Max(a.Value, 0.0), a.Error) { OrNaN = a.OrNaN, NonNegative = true };

    public static Bounded Add(Bounded a, Bounded b, double sign, FloatFormat f) => Carry(AddAlone(a, b, sign, f), a, b);

    private static Bounded AddAlone(Bounded a, Bounded b, double sign, FloatFormat f)
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

    public static Bounded Multiply(Bounded a, Bounded b, FloatFormat f) => Carry(MultiplyAlone(a, b, f), a, b);

    private static Bounded MultiplyAlone(Bounded a, Bounded b, FloatFormat f)
    {
        var value = a.Value * b.Value;
        if (a.Unknown || b.Unknown || InfinityTimesMaybeZero(a, b) || InfinityTimesMaybeZero(b, a))
        {
            return Uncertain(value);
        }
        var propagated = Times(Math.Abs(a.Value), b.Error) + Times(Math.Abs(b.Value), a.Error) + Times(a.Error, b.Error);
        return Finish(value, propagated + Round(Math.Abs(value) + propagated, f), f);
    }

    /// <summary>
    /// An infinite operand times one that rounding may make zero (or of either sign): the format may
    /// compute 0 x infinity = NaN, or the other infinity, where the double computation has one infinity.
    /// </summary>
    private static bool InfinityTimesMaybeZero(Bounded infinite, Bounded other) =>
        double.IsInfinity(infinite.Value) && other.Error > 0 && Math.Abs(other.Value) <= other.Error;

    public static Bounded Divide(Bounded a, Bounded b, FloatFormat f) => Carry(DivideAlone(a, b, f), a, b);

    private static Bounded DivideAlone(Bounded a, Bounded b, FloatFormat f)
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
        if (a.Unknown || b.Unknown)
        {
            return Uncertain(double.NaN);
        }
        if (double.IsNaN(a.Value) || double.IsNaN(b.Value))
        {
            // A GPU's max returns the other operand of a NaN, the CPU's returns NaN: either is right (OrNaN).
            return double.IsNaN(a.Value) && double.IsNaN(b.Value) ? new(double.NaN, 0)
                : (double.IsNaN(a.Value) ? b : a) with { OrNaN = true };
        }
        // max and min are exact and move a value by no more than their operands move.
        return new Bounded(max ? Math.Max(a.Value, b.Value) : Math.Min(a.Value, b.Value), Math.Max(a.Error, b.Error)) { OrNaN = a.OrNaN || b.OrNaN };
    }

    public static Bounded Exp(Bounded a, FloatFormat f) => Carry(ExpAlone(a, f), a);

    private static Bounded ExpAlone(Bounded a, FloatFormat f)
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

    public static Bounded Tanh(Bounded a, FloatFormat f) => Carry(TanhAlone(a, f), a);

    private static Bounded TanhAlone(Bounded a, FloatFormat f)
    {
        var value = Math.Tanh(a.Value);
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        // tanh is increasing, so an argument within e moves it by at most its change over e either side:
        // nearly nothing where it has flattened out, which a 1-Lipschitz bound missed (tanh(A * 1e12) was
        // allowed 4 for values of +-1). Formulas through exp lose relative accuracy near 0 but keep a few
        // u of absolute accuracy.
        var propagated = Monotone(Math.Tanh, a);
        var roundings = FunctionRoundings + (2 * Math.Min(Math.Abs(a.Value), 20.0));
        return Finish(value, propagated + (roundings * Round(1.0, f)), f);
    }

    public static Bounded Sigmoid(Bounded a, FloatFormat f) => Carry(SigmoidAlone(a, f), a);

    private static Bounded SigmoidAlone(Bounded a, FloatFormat f)
    {
        // The kernel computes 1 / (1 + exp(-x)); sigmoid has slope at most 1/4.
        var value = 1.0 / (1.0 + Math.Exp(-a.Value));
        if (a.Unknown)
        {
            return Uncertain(value);
        }
        var propagated = Monotone(x => 1.0 / (1.0 + Math.Exp(-x)), a);
        var slope = value * (1 - value);
        var fromExp = slope * (FunctionRoundings + Math.Abs(a.Value)) * f.UnitRoundoff;
        return Finish(value, propagated + fromExp + ((1 + DivisionRoundings) * Round(value + propagated, f)), f);
    }

    /// <summary>
    /// How far an increasing function moves over its argument's error either side: never more than its
    /// largest slope times the error (what <see cref="ToleranceCeiling"/> states), and far less where it is flat.
    /// </summary>
    private static double Monotone(Func<double, double> function, Bounded a)
    {
        var value = function(a.Value);
        return Math.Max(function(a.Value + a.Error) - value, value - function(a.Value - a.Error));
    }

    public static Bounded Sqrt(Bounded a, FloatFormat f) => Carry(SqrtAlone(a, f), a);

    private static Bounded SqrtAlone(Bounded a, FloatFormat f)
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
        if (a.Value + (Verifier.Safety * a.Error) < 0)
        {
            // Negative however it rounds: the kernel gives NaN for certain, and must (a kernel that took
            // an absolute value or a relu first was passed here when the element went unchecked).
            return new(double.NaN, 0);
        }
        if (!a.NonNegative && !(a.Value - a.Error >= 0))
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
        // A partial sum may overflow even when the total does not, and with the other sign when the total
        // overflows too (a kernel that adds the negative terms first stays at -infinity).
        return partials >= Overflow(f) ? Uncertain(value) : Finish(value, error, f);
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

    /// <summary><paramref name="result"/>, which may be NaN instead where an operand may (<see cref="OrNaN"/>).</summary>
    private static Bounded Carry(Bounded result, Bounded a) => a.OrNaN ? result with { OrNaN = true } : result;

    private static Bounded Carry(Bounded result, Bounded a, Bounded b) => a.OrNaN || b.OrNaN ? result with { OrNaN = true } : result;

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
