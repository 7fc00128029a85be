using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// An operand read straight from global memory (not staged) is loaded several elements at a
/// time where a thread's tile holds consecutive elements of it and every address the kernel
/// forms for it is a multiple of the vector: one 128-bit (or 64-bit) load instead of four (or
/// two) scalar ones. Where a bound is checked, or the addresses are not aligned, the loads stay
/// scalar. Either way the kernel matches the reference.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class GlobalVectorLoadTests(CpuDeviceFixture fixture)
{
    [Theory]
    // B's row of 4 consecutive columns per thread; thread, block, stage and point offsets all multiples of 4.
    [InlineData(16, 64, 16, "block=8x32 thread=2x4 reduce=8 shared=A", 4, 1)]
    // Two virtual threads split the 4 columns into pairs 16 apart: 64-bit loads.
    [InlineData(16, 64, 16, "block=8x32 thread=2x4 vthread=1x2 reduce=8 shared=A", 2, 2)]
    // Rows of 18: every address is even but not a multiple of 4, so a thread's 6 columns are 3 pairs.
    [InlineData(12, 18, 8, "block=4x6 thread=1x6 reduce=4", 2, 3)]
    // 30 columns in blocks of 16: the last block's columns are checked, so scalar loads.
    [InlineData(8, 30, 8, "block=8x16 thread=2x4 reduce=8 shared=A", 1, 0)]
    // Rows of 63: a thread's 3 columns start at odd addresses on every other row.
    [InlineData(8, 63, 8, "block=8x63 thread=1x3 reduce=8 shared=A", 1, 0)]
    public void Unstaged_operands_load_as_vectors_where_aligned(int m, int n, int k, string schedule, int width, int vectorLoads)
    {
        var op = TestOperators.Gemm(m, n, k);
        var state = new EtirState(op, Schedule.Parse(schedule));

        var kernel = KernelLowering.Lower(state);
        var loads = kernel.Statements.SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()).OfType<IrExpr.Load>()
            .Where(load => load.Buffer.Scope == BufferScope.Global && load.Buffer.Tensor == "B")
            .ToArray();
        var vectors = loads.Where(load => load.Width > 1).ToArray();
        Assert.Equal(vectorLoads, vectors.Length);
        Assert.All(vectors, load => Assert.Equal(width, load.Width));
        if (width > 1)
        {
            Assert.DoesNotContain(loads, load => load.Width == 1);
        }

        var measurement = fixture.Run(state, "GlobalVectors", seed: 11);

        Assert.True(measurement.Verified, measurement.Error);
    }
}
