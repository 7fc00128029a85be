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
}
