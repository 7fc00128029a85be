using Gensor.Analysis;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// A stage too long to unroll whole keeps its outer reduce loops and unrolls the inner ones
/// (<see cref="OperatorAnalysis.UnrolledReduceLoops"/>), and the innermost loop it keeps runs
/// several of its trips per iteration (<see cref="OperatorAnalysis.PartialUnrollFactor"/>):
/// a 3x3 convolution's stage of 8x3x3 points for 64 outputs per thread loops over the 8
/// channels four at a time around 4 unrolled 3x3 windows.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class PartialUnrollTests(CpuDeviceFixture fixture)
{
    [Theory]
    // 8x3x3 points x 64 outputs = 4608 multiply-adds: over the 4096 of a whole unrolled stage; 3x3 x 64 = 576 is not,
    // and 4 channels of it (2304) are: 8 channels do not fit, and 4 is the largest divisor of 8 below.
    [InlineData("block=64x4x8 thread=8x2x4 reduce=8x3x3 shared=I,W", 2, 4, 36)]
    // 4x3x3 x 16 = 576: the whole stage, nothing left to loop over.
    [InlineData("block=16x4x8 thread=4x2x2 reduce=4x3x3", 3, 1, 36)]
    // 32x3x3 = 288 points: over the 128 points of an unrolled body whatever the outputs; 8 channels of 9 points are 72.
    [InlineData("block=16x4x8 thread=1x1x1 reduce=32x3x3 shared=W", 2, 8, 72)]
    // 24 channels: the largest divisor of 24 that keeps 9 points each within 128 is 12.
    [InlineData("block=16x4x8 thread=1x1x1 reduce=24x3x3 shared=I", 2, 12, 108)]
    // 3 points of s x 2048 outputs: nothing fits, not even part of the innermost loop.
    [InlineData("block=64x4x32 thread=64x4x8 reduce=1x1x3", 0, 1, 1)]
    // A matrix product's 256 points for 16 outputs, B staged: 128 of them at a time (2048 multiply-adds).
    [InlineData("block=32x32 thread=4x4 reduce=256 shared=B", 0, 128, 128)]
    // Four lanes share the 256 points: each thread's 64 trips for 128 outputs unroll 32 at a time (4096 multiply-adds).
    [InlineData("block=16x32 thread=16x8 reduce=256 rthreads=4 shared=A,B", 0, 32, 32)]
    // Nothing staged, so no barrier inside the stage: at most 16 points at a time.
    [InlineData("block=32x32 thread=4x4 reduce=256", 0, 16, 16)]
    // Double-buffered: the same.
    [InlineData("block=32x32 thread=4x4 reduce=256 shared=A,B prefetch=1 buffers=2", 0, 16, 16)]
    public void Inner_reduce_loops_are_unrolled_as_far_as_the_limits_allow(string schedule, int loops, int factor, long points)
    {
        var parsed = Schedule.Parse(schedule);

        Assert.Equal(loops, OperatorAnalysis.UnrolledReduceLoops(parsed));
        Assert.Equal(factor, OperatorAnalysis.PartialUnrollFactor(parsed));
        Assert.Equal(points, OperatorAnalysis.UnrolledPoints(parsed));
        Assert.Equal(loops == parsed.ReduceStep.Count, OperatorAnalysis.UnrollsStage(parsed));
    }

    [Fact]
    public void A_long_stage_loops_over_its_outer_axis_around_unrolled_windows()
    {
        var op = Operators.Parse(Operators.ConvChw, "f=64,y=8,x=8,c=16,r=3,s=3");
        var state = new EtirState(op, Schedule.Parse("block=64x4x8 thread=8x2x4 reduce=8x3x3 shared=I,W"));

        var lowered = StageLoop(KernelLowering.Lower(state)).Walk().OfType<IrStmt.For>().Where(f => f.Index.Name.StartsWith("g_kk", StringComparison.Ordinal)).ToArray();
        Assert.Equal([("g_kk0", false, 4), ("g_kk1", true, 1), ("g_kk2", true, 1)], lowered.Select(f => (f.Index.Name, f.Unroll, f.UnrollBy)));

        // After unrolling only the channel loop is left, stepping by 4 channels, its body 4 windows of 9 points of 64 multiply-adds each.
        var channel = Assert.Single(StageLoop(CSharpKernelGenerator.Lower(state)).Walk().OfType<IrStmt.For>(), f => f.Index.Name.StartsWith("g_kk", StringComparison.Ordinal));
        Assert.Equal(("g_kk0", 4L, 1), (channel.Index.Name, channel.Step, channel.UnrollBy));
        Assert.Equal(4 * 9 * 64, channel.Walk().OfType<IrStmt.Assign>().Count(a => a.Variable.Name.StartsWith("g_acc", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_copies_of_a_partly_unrolled_body_read_the_loop_variable_plus_a_constant()
    {
        var op = Operators.Parse(Operators.ConvChw, "f=64,y=8,x=8,c=16,r=3,s=3");
        var state = new EtirState(op, Schedule.Parse("block=64x4x8 thread=8x2x4 reduce=8x3x3 shared=I,W"));

        var channel = StageLoop(CSharpKernelGenerator.Lower(state)).Walk().OfType<IrStmt.For>().Single(f => f.Index.Name == "g_kk0");
        var offsets = channel.Walk().SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()).OfType<IrExpr.Linear>()
            .SelectMany(linear => linear.Terms.Where(t => t.Variable == channel.Index).Select(t => linear.Constant / t.Coefficient)).ToHashSet();

        // Copy k of the body reads channel g_kk0 + k: its loads differ from the first copy's by constants only.
        Assert.Superset(new HashSet<long> { 1, 2, 3 }, offsets);
    }

    [Theory]
    [InlineData("f=8,y=6,x=8,c=40,r=3,s=3", "block=8x2x8 thread=1x1x1 reduce=32x3x3 shared=W")]
    // Ragged channels (40 in stages of 16, 8 at a time) around the unrolled windows, both inputs staged.
    [InlineData("f=8,y=6,x=8,c=40,r=3,s=3", "block=8x2x8 thread=1x1x1 reduce=16x3x3 shared=I,W")]
    public void A_partly_unrolled_kernel_matches_the_reference(string shape, string schedule)
    {
        var op = Operators.Parse(Operators.ConvChw, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.True(OperatorAnalysis.UnrolledReduceLoops(state.Schedule) is > 0 and < 3);
        Assert.True(OperatorAnalysis.PartialUnrollFactor(state.Schedule) > 1);
        Assert.Null(Legality.Check(op, state.Schedule, BuiltInProfiles.Cpu));

        var measurement = fixture.Run(state, "PartlyUnrolled", seed: 3);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Nothing staged: 1024 points, 16 per iteration; and four lanes taking every fourth point, 16 trips per iteration of their 256.
    [InlineData("block=8x8 thread=1x1 reduce=1024")]
    [InlineData("block=8x8 thread=1x1 reduce=1024 rthreads=4")]
    // B staged: 128 points per iteration of a stage of 256.
    [InlineData("block=8x8 thread=1x1 reduce=256 shared=B")]
    public void A_partly_unrolled_matrix_product_matches_the_reference(string schedule)
    {
        var op = TestOperators.Gemm(16, 16, 1024);
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.True(OperatorAnalysis.PartialUnrollFactor(state.Schedule) > 1);
        Assert.Null(Legality.Check(op, state.Schedule, BuiltInProfiles.Cpu));

        var measurement = fixture.Run(state, "PartlyUnrolledGemm", seed: 5);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void The_cpu_profile_refuses_a_partly_unrolled_body_over_its_limit()
    {
        // Two outputs x 8 channels x 9 points = 144 multiply-adds in the body, over the CPU profile's 128.
        var op = Operators.Parse(Operators.ConvChw, "f=8,y=6,x=8,c=40,r=3,s=3");
        var reason = Legality.Check(op, Schedule.Parse("block=8x2x8 thread=1x1x2 reduce=32x3x3 shared=W"), BuiltInProfiles.Cpu);

        Assert.Contains("144 multiply-adds", reason);
    }

    private static IrStmt.For StageLoop(KernelIr kernel) => kernel.Statements.OfType<IrStmt.For>().Single(f => f.Index.Name == "g_st");
}
