namespace Gensor.Etir;

/// <summary>Names, sizes and rounding of the <see cref="ElementType"/>s.</summary>
public static class ElementTypes
{
    /// <summary>The names a spec and <c>--dtype</c> accept, canonical name first.</summary>
    public const string Accepted = "f32 (float32), f16 (float16), bf16 (bfloat16)";

    /// <summary>The type named <paramref name="name"/> (case matters, as in the rest of a spec), or null when there is none.</summary>
    public static ElementType? Parse(string name) => name switch
    {
        "f32" or "float32" => ElementType.F32,
        "f16" or "float16" => ElementType.F16,
        "bf16" or "bfloat16" => ElementType.BF16,
        _ => null,
    };

    /// <summary>The canonical name: <c>f32</c>, <c>f16</c> or <c>bf16</c>.</summary>
    public static string Name(this ElementType type) => type switch
    {
        ElementType.F32 => "f32",
        ElementType.F16 => "f16",
        ElementType.BF16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Bytes per element.</summary>
    public static int Bytes(this ElementType type) => type == ElementType.F32 ? 4 : 2;

    /// <summary>
    /// The unit roundoff u = 2^-p of the type (p the significand's bits): rounding to nearest
    /// changes a value by at most u relative to it (in the normal range).
    /// </summary>
    public static double UnitRoundoff(this ElementType type) => type switch
    {
        ElementType.F32 => 1.0 / (1 << 24),
        ElementType.F16 => 1.0 / (1 << 11),
        ElementType.BF16 => 1.0 / (1 << 8),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The value nearest to <paramref name="value"/> in the type, ties to even, as a float
    /// (every f16 and bf16 value is a float). f16 overflows to infinity above 65504.
    /// </summary>
    public static float Round(this ElementType type, float value) => type switch
    {
        ElementType.F32 => value,
        ElementType.F16 => (float)(Half)value,
        ElementType.BF16 => FromBFloat16Bits(ToBFloat16Bits(value)),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The bits of the bfloat16 nearest to <paramref name="value"/> (ties to even; NaN stays a quiet NaN).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }
        // Adding 0x7FFF plus the lowest kept bit rounds the 16 dropped bits to nearest, ties to even;
        // a carry into the exponent is the correct rounding up (to infinity past the largest).
        var rounded = bits + 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(rounded >> 16);
    }

    /// <summary>The float whose upper 16 bits are <paramref name="bits"/> (exact).</summary>
    public static float FromBFloat16Bits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The IEEE binary16 bits of the f16 nearest to <paramref name="value"/>.</summary>
    public static ushort ToHalfBits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>The float of IEEE binary16 bits (exact).</summary>
    public static float FromHalfBits(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>The 16-bit pattern of <paramref name="value"/> rounded to a 16-bit type.</summary>
    public static ushort ToBits(this ElementType type, float value) => type switch
    {
        ElementType.F16 => ToHalfBits(value),
        ElementType.BF16 => ToBFloat16Bits(value),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only 16-bit types have 16-bit patterns"),
    };

    /// <summary>The float of a 16-bit pattern of a 16-bit type.</summary>
    public static float FromBits(this ElementType type, ushort bits) => type switch
    {
        ElementType.F16 => FromHalfBits(bits),
        ElementType.BF16 => FromBFloat16Bits(bits),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only 16-bit types have 16-bit patterns"),
    };
}
