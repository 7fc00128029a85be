using Gensor.Etir;
using Xunit;

namespace Gensor.Tests.Etir;

/// <summary>The element types' names and their rounding to nearest, ties to even.</summary>
public sealed class ElementTypeTests
{
    [Theory]
    [InlineData("f32", ElementType.F32)]
    [InlineData("float32", ElementType.F32)]
    [InlineData("f16", ElementType.F16)]
    [InlineData("float16", ElementType.F16)]
    [InlineData("bf16", ElementType.BF16)]
    [InlineData("bfloat16", ElementType.BF16)]
    public void Names_parse_to_their_type(string name, ElementType type) => Assert.Equal(type, ElementTypes.Parse(name));

    [Theory]
    [InlineData("F16")]
    [InlineData("int8")]
    [InlineData("")]
    public void Other_names_are_no_type(string name) => Assert.Null(ElementTypes.Parse(name));

    [Fact]
    public void Sixteen_bit_types_take_two_bytes() =>
        Assert.Equal([4, 2, 2], new[] { ElementType.F32, ElementType.F16, ElementType.BF16 }.Select(t => t.Bytes()));

    [Fact]
    public void F16_keeps_eleven_significant_bits_and_breaks_ties_to_even()
    {
        // At 1 an f16 step is 2^-10: 1 + 2^-11 is a tie between 1 (even) and 1 + 2^-10 (odd).
        Assert.Equal(1f, ElementType.F16.Round(1f + MathF.Pow(2, -11)));
        Assert.Equal(1f + MathF.Pow(2, -9), ElementType.F16.Round(1f + (3 * MathF.Pow(2, -11))));
        Assert.Equal(1f + MathF.Pow(2, -10), ElementType.F16.Round(1f + MathF.Pow(2, -11) + MathF.Pow(2, -20)));
    }

    [Fact]
    public void F16_overflows_to_infinity_past_its_largest_value()
    {
        Assert.Equal(65504f, ElementType.F16.Round(65504f));
        Assert.Equal(float.PositiveInfinity, ElementType.F16.Round(70000f));
    }

    [Fact]
    public void Bf16_keeps_eight_significant_bits_and_breaks_ties_to_even()
    {
        // At 1 a bf16 step is 2^-7: 1 + 2^-8 is a tie between 1 (even) and 1 + 2^-7 (odd);
        // 1 + 3*2^-8 is a tie between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        Assert.Equal(1f, ElementType.BF16.Round(1f + MathF.Pow(2, -8)));
        Assert.Equal(1f + MathF.Pow(2, -6), ElementType.BF16.Round(1f + (3 * MathF.Pow(2, -8))));
        Assert.Equal(1f + MathF.Pow(2, -7), ElementType.BF16.Round(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)));
        Assert.Equal(-1f, ElementType.BF16.Round(-1f - MathF.Pow(2, -8)));
    }

    [Fact]
    public void Bf16_has_the_range_of_f32_and_keeps_nan()
    {
        Assert.Equal(3.0e38f, ElementType.BF16.Round(3.0e38f), 3.0e38f * 0.01f);
        Assert.True(float.IsNaN(ElementType.BF16.Round(float.NaN)));
        Assert.Equal(float.PositiveInfinity, ElementType.BF16.Round(float.MaxValue));
    }

    [Fact]
    public void Bf16_bits_are_the_upper_half_of_the_float()
    {
        Assert.Equal((ushort)0x3F80, ElementTypes.ToBFloat16Bits(1f));
        Assert.Equal(-2f, ElementTypes.FromBFloat16Bits(0xC000));
    }

    [Fact]
    public void F16_bits_round_trip_through_float()
    {
        for (var bits = 0; bits < 0x7C00; bits += 37)
        {
            Assert.Equal((ushort)bits, ElementType.F16.ToBits(ElementType.F16.FromBits((ushort)bits)));
        }
    }

    [Fact]
    public void Float32_rounding_is_the_identity() => Assert.Equal(1f + MathF.Pow(2, -23), ElementType.F32.Round(1f + MathF.Pow(2, -23)));
}
