using Gensor.Backend.Lowering;
using Gensor.Etir;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Index divisions by constants are written as multiply-high and shift (<see cref="ConstantDivision"/>),
/// which must equal the division for every index a kernel can hold.
/// </summary>
public sealed class ConstantDivisionTests
{
    public static TheoryData<long> Divisors() => [3, 5, 6, 7, 9, 10, 14, 18, 22, 36, 144, 196, 324, 396, 641, 3136, 50176, 73728 * 3, 1_000_003, (1L << 30) + 1, int.MaxValue - 1, int.MaxValue];

    [Theory]
    [MemberData(nameof(Divisors))]
    public void The_multiply_high_is_the_division_for_every_index_below_2_to_the_31(long divisor)
    {
        var (multiplier, shift) = ConstantDivision.MultiplyHigh(divisor)!.Value;
        var random = new Random((int)(divisor % int.MaxValue));
        // Both sides of every multiple near the ends of the range, and random indices between.
        var indices = new List<long> { 0, 1, int.MaxValue, int.MaxValue - 1 };
        foreach (var k in new long[] { 1, 2, 3, int.MaxValue / divisor - 1, int.MaxValue / divisor })
        {
            indices.AddRange([k * divisor - 1, k * divisor, k * divisor + 1]);
        }
        indices.AddRange(Enumerable.Range(0, 20_000).Select(_ => random.NextInt64(0, int.MaxValue + 1L)));

        foreach (var x in indices.Where(x => x is >= 0 and <= int.MaxValue))
        {
            Assert.Equal(x / divisor, (long)(((ulong)x * multiplier) >> shift));
        }
    }

    [Fact]
    public void Every_divisor_up_to_5000_is_exact_on_all_indices_below_a_million()
    {
        for (long divisor = 3; divisor <= 5000; divisor++)
        {
            if (ConstantDivision.MultiplyHigh(divisor) is not var (multiplier, shift))
            {
                Assert.True(long.IsPow2(divisor), $"{divisor} has no multiplier");
                continue;
            }
            for (long x = 0; x < 1_000_000; x += 1 + x / 1000)
            {
                Assert.Equal(x / divisor, (long)(((ulong)x * multiplier) >> shift));
            }
        }
    }

    [Fact]
    public void A_convolution_kernel_divides_nowhere()
    {
        var state = new EtirState(Operators.Parse(Operators.ConvChw, "f=8,y=14,x=14,c=32,r=3,s=3"),
            Schedule.Parse("block=8x7x14 thread=2x1x2 reduce=16x3x3 shared=I,W"));

        var source = CSharpKernelGenerator.Generate(state, "Conv").Text;

        Assert.DoesNotContain(" / (uint)", source);
        Assert.DoesNotContain(" % (uint)", source);
        Assert.Contains("UL) >> ", source);
    }
}
