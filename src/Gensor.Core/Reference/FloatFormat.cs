namespace Gensor.Reference;

/// <summary>
/// What verification needs to know about the floating-point type a kernel
/// computes in: how much one rounding may change a value, and where the type
/// runs out of range at either end. The error bound of the reference follows
/// from these (see <see cref="ReferenceEvaluator"/>), so a narrower type such as
/// float16 or bfloat16 is verified by adding its format here, not by a new rule.
/// </summary>
/// <param name="Name">The type as specs name it (<c>float32</c>).</param>
/// <param name="UnitRoundoff">u: one correctly rounded operation changes a value by at most u times its size (2^-24 for float32).</param>
/// <param name="MinNormal">The smallest normal value. A GPU may flush smaller results to zero, an absolute error of up to this much per operation.</param>
/// <param name="MaxValue">The largest finite value; beyond it a result is infinite.</param>
public sealed record FloatFormat(string Name, double UnitRoundoff, double MinNormal, double MaxValue)
{
    /// <summary>IEEE single precision: 24-bit significand, exponents down to -126.</summary>
    public static FloatFormat Float32 { get; } = new("float32", Math.ScaleB(1.0, -24), Math.ScaleB(1.0, -126), float.MaxValue);

    /// <summary>IEEE half precision: 11-bit significand, exponents down to -14, largest value 65504.</summary>
    public static FloatFormat Float16 { get; } = new("float16", Math.ScaleB(1.0, -11), Math.ScaleB(1.0, -14), 65504);

    /// <summary>bfloat16: float32's exponent range with an 8-bit significand.</summary>
    public static FloatFormat BFloat16 { get; } = new("bfloat16", Math.ScaleB(1.0, -8), Math.ScaleB(1.0, -126), Math.ScaleB(255.0, 120));

    /// <summary>The format of element type <paramref name="type"/>.</summary>
    public static FloatFormat Of(Gensor.Etir.ElementType type) => type switch
    {
        Gensor.Etir.ElementType.F32 => Float32,
        Gensor.Etir.ElementType.F16 => Float16,
        Gensor.Etir.ElementType.BF16 => BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
