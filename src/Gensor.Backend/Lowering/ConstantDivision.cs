using System.Numerics;

namespace Gensor.Backend.Lowering;

/// <summary>
/// Division of a non-negative index by a constant as a multiply-high and a shift. ptxas 11.8
/// compiles <c>div.u32</c> and <c>rem.u32</c> by an immediate as a reciprocal (I2F, MUFU.RCP)
/// and then, per division, a multiply-high, a multiply, two compares and up to four predicated
/// adds; a copy's coordinates divide for every chunk. For a divisor d that is not a power of
/// two, with l = ceil(log2 d) and m = floor(2^(31+l) / d) + 1, <c>(x * m) &gt;&gt; (31 + l)</c> is
/// <c>x / d</c> for every x below 2^31 (Granlund and Montgomery, 1994, theorem 4.2), and
/// <c>x * m</c> stays below 2^63.
/// </summary>
internal static class ConstantDivision
{
    /// <summary>The multiplier and shift for <paramref name="divisor"/>; null for 1, powers of two (a shift) and divisors of 2^31 or more.</summary>
    public static (ulong Multiplier, int Shift)? MultiplyHigh(long divisor)
    {
        if (divisor <= 1 || divisor > int.MaxValue || BitOperations.IsPow2(divisor))
        {
            return null;
        }
        var l = 64 - BitOperations.LeadingZeroCount((ulong)divisor - 1);
        var multiplier = (1UL << (31 + l)) / (ulong)divisor + 1;
        return multiplier > uint.MaxValue ? null : (multiplier, 31 + l);
    }
}
