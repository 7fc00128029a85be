using Gensor.Analysis;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// A stage too long to unroll whole keeps its outer reduce loops and unrolls the inner ones
/// (<see cref="OperatorAnalysis.UnrolledReduceLoops"/>): a 3x3 convolution's stage of 8x3x3
/// points for 64 outputs per thread loops over the 8 channels and unrolls each 3x3 window.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class PartialUnrollTests(CpuDeviceFixture fixture)
{
    [Theory]
    // 8x3x3 points x 64 outputs = 4608 multiply-adds: over the 4096 of a whole unrolled stage; 3x3 x 64 = 576 is not.
    [InlineData("block=64x4x8 thread=8x2x4 reduce=8x3x3", 2, 9)]
    // 4x3x3 x 16 = 576: the whole stage.
    [InlineData("block=16x4x8 thread=4x2x2 reduce=4x3x3", 3, 36)]
    // 32x3x3 = 288 points: over the 128 points of an unrolled body whatever the outputs.
    [InlineData("block=16x4x8 thread=1x1x1 reduce=32x3x3", 2, 9)]
    // 3 points of s x 2048 outputs: nothing fits.
    [InlineData("block=64x4x32 thread=64x4x8 reduce=1x1x3", 0, 1)]
    public void Inner_reduce_loops_are_unrolled_as_far_as_the_limits_allow(string schedule, int loops, long points)
    {
        var parsed = Schedule.Parse(schedule);

        Assert.Equal(loops, OperatorAnalysis.UnrolledReduceLoops(parsed));
        Assert.Equal(points, OperatorAnalysis.UnrolledPoints(parsed));
        Assert.Equal(loops == parsed.ReduceStep.Count, OperatorAnalysis.UnrollsStage(parsed));
    }

    [Fact]
    public void A_long_stage_loops_over_its_outer_axis_around_an_unrolled_window()
    {
        var op = Operators.Parse(Operators.ConvChw, "f=64,y=8,x=8,c=16,r=3,s=3");
        var state = new EtirState(op, Schedule.Parse("block=64x4x8 thread=8x2x4 reduce=8x3x3 shared=I,W"));

        var lowered = StageLoop(KernelLowering.Lower(state)).Walk().OfType<IrStmt.For>().Where(f => f.Index.Name.StartsWith("g_kk", StringComparison.Ordinal)).ToArray();
        Assert.Equal([("g_kk0", false), ("g_kk1", true), ("g_kk2", true)], lowered.Select(f => (f.Index.Name, f.Unroll)));

        // After unrolling only the channel loop is left, its body the 9 window points of 64 multiply-adds each.
        var channel = Assert.Single(StageLoop(CSharpKernelGenerator.Lower(state)).Walk().OfType<IrStmt.For>(), f => f.Index.Name.StartsWith("g_kk", StringComparison.Ordinal));
        Assert.Equal("g_kk0", channel.Index.Name);
        Assert.Equal(9 * 64, channel.Walk().OfType<IrStmt.Assign>().Count(a => a.Variable.Name.StartsWith("g_acc", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("f=8,y=6,x=8,c=40,r=3,s=3", "block=8x2x8 thread=1x1x2 reduce=32x3x3 shared=W")]
    // Ragged channels (40 in stages of 16) around the unrolled window, both inputs staged.
    [InlineData("f=8,y=6,x=8,c=40,r=3,s=3", "block=8x2x8 thread=2x1x2 reduce=16x3x3 shared=I,W")]
    public void A_partly_unrolled_kernel_matches_the_reference(string shape, string schedule)
    {
        var op = Operators.Parse(Operators.ConvChw, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.True(OperatorAnalysis.UnrolledReduceLoops(state.Schedule) is > 0 and < 3);
        Assert.Null(Legality.Check(op, state.Schedule, BuiltInProfiles.Cpu));

        var measurement = fixture.Run(state, "PartlyUnrolled", seed: 3);

        Assert.True(measurement.Verified, measurement.Error);
    }

    private static IrStmt.For StageLoop(KernelIr kernel) => kernel.Statements.OfType<IrStmt.For>().Single(f => f.Index.Name == "g_st");
}
