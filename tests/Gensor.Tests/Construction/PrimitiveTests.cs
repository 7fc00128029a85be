using Gensor.Construction.Primitives;
using Gensor.Hardware;
using Gensor.Etir;
using Xunit;

namespace Gensor.Tests.Construction;

public class PrimitiveTests
{
    private static readonly Operator Conv = TestOperators.Conv2d(1, 32, 64, 28, 3, 1, 1);

    private static readonly Schedule Start = Schedule.Parse("block=1x8x4x16 thread=1x4x2x4 vthread=1x1x1x2 reduce=4x1x3 shared=I vector=2");

    public static TheoryData<IPrimitive, IPrimitive> Inverses() => new()
    {
        { new ResizeBlockTile(1, Grow: true), new ResizeBlockTile(1, Grow: false) },
        { new ResizeThreadTile(3, Grow: true), new ResizeThreadTile(3, Grow: false) },
        { new ScaleThreadWork(2, Grow: true), new ScaleThreadWork(2, Grow: false) },
        { new MoveThreadWork(1, 3), new MoveThreadWork(3, 1) },
        { new ResizeVirtualThreads(3, Grow: true), new ResizeVirtualThreads(3, Grow: false) },
        { new ResizeReduceStep(0, Grow: true), new ResizeReduceStep(0, Grow: false) },
        { new ToggleStaging("W"), new ToggleStaging("W") },
        { new ChangeVectorWidth(Grow: true), new ChangeVectorWidth(Grow: false) },
        { new ShareReductionWork(3, Grow: true), new ShareReductionWork(3, Grow: false) },
    };

    [Theory]
    [MemberData(nameof(Inverses))]
    public void Applying_a_primitive_then_its_inverse_gives_the_same_schedule(IPrimitive forward, IPrimitive back)
    {
        var there = forward.Apply(Conv, Start).Schedule;

        Assert.NotNull(there);
        Assert.NotEqual(Start, there);
        Assert.Equal(Start, back.Apply(Conv, there!).Schedule);
    }

    [Fact]
    public void Moving_thread_work_to_another_axis_keeps_the_threads_and_the_outputs_per_thread()
    {
        // One edge where two ScaleThreadWork edges would pass through a thread tile of half the outputs.
        var moved = new MoveThreadWork(3, 2).Apply(Conv, Start with { BlockTile = ValueArray.Of(1, 8, 4, 32), ThreadTile = ValueArray.Of(1, 4, 2, 8) }).Schedule!;

        Assert.Equal(ValueArray.Of(1, 8, 8, 16), moved.BlockTile);
        Assert.Equal(ValueArray.Of(1, 4, 4, 4), moved.ThreadTile);
        Assert.Equal(Start.ThreadsPerBlock, moved.ThreadsPerBlock);
        Assert.Equal(64, moved.OutputsPerThread);
    }

    [Fact]
    public void Sharing_a_reduction_adds_lanes_and_gives_each_thread_more_outputs()
    {
        // GPT-2's QKV GEMM on h100: one edge from a one-lane tile to the model's optimum family, where
        // adding lanes alone quadruples the threads and costs 8% on the way.
        var gemm = TestOperators.Gemm(1024, 2304, 768);
        var oneLane = Schedule.Parse("block=64x32 thread=4x8 reduce=64 shared=B vector=4 pad=4 prefetch=1");

        var shared = new ShareReductionWork(0, Grow: true).Apply(gemm, oneLane).Schedule!;

        Assert.Equal(Schedule.Parse("block=64x32 thread=8x8 reduce=64 shared=B vector=4 pad=4 prefetch=1 rthreads=4"), shared);
        Assert.Equal(2 * oneLane.ThreadsPerBlock, shared.ThreadsPerBlock);
        Assert.Equal(2 * oneLane.OutputsPerThread, shared.OutputsPerThread);
        Assert.False(new ShareReductionWork(0, Grow: false).Apply(gemm, oneLane).Applied);
        Assert.False(new ShareReductionWork(1, Grow: true).Apply(gemm, oneLane with { ThreadTile = ValueArray.Of(4, 32) }).Applied);
    }

    [Fact]
    public void Trading_split_for_lanes_moves_the_reduction_from_blocks_to_a_warp_and_back()
    {
        // ResNet-50's batch-32 fc: split tiles and whole-warp lanes are two basins of the walk.
        var gemm = TestOperators.Gemm(32, 1000, 2048);
        var split = Schedule.Parse("block=32x128 thread=8x8 reduce=32 shared=A,B vector=4 pad=4 prefetch=1 buffers=2 rthreads=4 split=16");

        var lanes = new TradeSplitForLanes(ToLanes: true).Apply(gemm, split).Schedule!;

        Assert.Equal(split with { SplitReduce = 8, ReduceThreads = 32 }, lanes);
        Assert.Equal(split, new TradeSplitForLanes(ToLanes: false).Apply(gemm, lanes).Schedule);
        Assert.False(new TradeSplitForLanes(ToLanes: true).Apply(gemm, split with { SplitReduce = 1 }).Applied);
        Assert.False(new TradeSplitForLanes(ToLanes: false).Apply(gemm, split with { ReduceThreads = 1 }).Applied);
    }

    [Fact]
    public void Moving_threads_reshapes_the_block_and_keeps_its_threads_and_each_threads_outputs()
    {
        // Batch-32 ResNet-50's s3_conv3x3_stride2 (14x14 outputs): from an image tile towards one that spans the batch.
        var conv = TestOperators.Conv2d(32, 256, 256, 28, 3, 2, 1);
        var image = Schedule.Parse("block=2x16x16x16 thread=1x16x2x2 reduce=64x3x3 shared=W vector=4 prefetch=1");

        var moved = new MoveThreads(From: 2, To: 0).Apply(conv, image).Schedule!;

        Assert.Equal(image with { BlockTile = image.BlockTile.SetItem(0, 4).SetItem(2, 8) }, moved);
        Assert.Equal(image.ThreadsPerBlock, moved.ThreadsPerBlock);
        Assert.Equal(image.OutputsPerThread, moved.OutputsPerThread);
        Assert.Equal(image, new MoveThreads(From: 0, To: 2).Apply(conv, moved).Schedule);
        // One thread along f has no threads to give; a block spanning the batch has no room for more.
        Assert.False(new MoveThreads(From: 1, To: 0).Apply(conv, image).Applied);
        Assert.False(new MoveThreads(From: 2, To: 0).Apply(conv, image with { BlockTile = image.BlockTile.SetItem(0, 32) }).Applied);
    }

    [Fact]
    public void A_small_window_steps_to_its_full_extent()
    {
        var grow = new ResizeReduceStep(1, Grow: true);

        var two = grow.Apply(Conv, Start).Schedule!;
        var three = grow.Apply(Conv, two).Schedule!;

        Assert.Equal(2, two.ReduceStep[1]);
        Assert.Equal(3, three.ReduceStep[1]);
        Assert.False(grow.Apply(Conv, three).Applied);
    }

    [Fact]
    public void A_block_tile_does_not_grow_past_the_extent_rounded_up()
    {
        var op = TestOperators.Gemm(100, 64, 64);
        var schedule = Schedule.Parse("block=128x8 thread=1x1 reduce=8");

        var outcome = new ResizeBlockTile(0, Grow: true).Apply(op, schedule);

        Assert.False(outcome.Applied);
        Assert.NotNull(outcome.Reason);
    }

    [Fact]
    public void Staging_keeps_the_shared_inputs_in_input_order()
    {
        var both = new ToggleStaging("I").Apply(Conv, Start with { SharedInputs = ValueArray.Of("W") }).Schedule!;

        Assert.Equal(ValueArray.Of("I", "W"), both.SharedInputs);
    }

    [Fact]
    public void Staging_pipelined_is_one_move_from_reading_through_l1_to_a_prefetched_double_buffered_copy()
    {
        var unstaged = Start with { SharedInputs = ValueArray<string>.Empty, VectorWidth = 1 };

        var pipelined = new StagePipelined("I").Apply(Conv, unstaged).Schedule!;

        Assert.Equal(ValueArray.Of("I"), pipelined.SharedInputs);
        Assert.True(pipelined.RegisterPrefetch);
        Assert.Equal(2, pipelined.SharedBuffers);
        // Staged already, or pipelined already (then staging another input is ToggleStaging's move).
        Assert.False(new StagePipelined("I").Apply(Conv, pipelined).Applied);
        Assert.False(new StagePipelined("W").Apply(Conv, pipelined).Applied);
        Assert.Contains(PrimitiveSet.For(Conv), p => p is StagePipelined { Tensor: "W" });
    }

    [Fact]
    public void An_application_that_breaks_a_hardware_limit_is_refused_with_the_reason()
    {
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var schedule = Schedule.Parse("block=32x32 thread=1x1 reduce=8");

        var outcome = PrimitiveSet.ApplyLegal(new ResizeBlockTile(0, Grow: true), op, schedule, BuiltInProfiles.H100);

        Assert.False(outcome.Applied);
        Assert.Contains("threads per block", outcome.Reason);
    }
}
