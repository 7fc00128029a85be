using Gensor.Analysis;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.FrontEnd;
using Gensor.Hardware;
using Gensor.Etir;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Construction;

public class CostModelTests
{
    private static readonly HardwareProfile H100 = BuiltInProfiles.H100;

    [Fact]
    public void A_bigger_reuse_tile_moves_less_data()
    {
        var op = TestOperators.Gemm(2048, 2048, 2048);
        var small = Schedule.Parse("block=16x16 thread=1x1 reduce=16 shared=A,B vector=4");
        var large = Schedule.Parse("block=64x64 thread=4x4 reduce=16 shared=A,B vector=4");

        var smallCost = CostModel.Breakdown(op, small, H100);
        var largeCost = CostModel.Breakdown(op, large, H100);

        Assert.True(largeCost.L2Reuse.L2Bytes < smallCost.L2Reuse.L2Bytes / 3);
        Assert.True(largeCost.TotalMs < smallCost.TotalMs);
    }

    [Fact]
    public void A_tile_exceeding_shared_memory_is_illegal()
    {
        var op = TestOperators.Gemm(2048, 2048, 2048);
        // A and B stages of 256x256 floats: 512 KB, more than any GPU's 227 KB.
        var schedule = Schedule.Parse("block=256x256 thread=16x16 reduce=256 shared=A,B");

        var reason = Legality.Check(op, schedule, H100);

        Assert.NotNull(reason);
        Assert.Contains("shared memory", reason);
    }

    [Fact]
    public void One_block_on_132_multiprocessors_is_slower_than_132_blocks_sharing_the_work()
    {
        // The same 128x(132*128) gemm cut into one block per SM, against a grid
        // of a single column of blocks that leaves 131 SMs idle for each of its waves.
        var op = TestOperators.Gemm(128, 132 * 128, 512);
        var spread = Schedule.Parse("block=128x128 thread=8x8 reduce=16 shared=A,B vector=4");
        var one = TestOperators.Gemm(128, 128, 512);

        var perSm = CostModel.EstimateMs(op, spread, H100);
        var single = CostModel.EstimateMs(one, spread, H100);

        // 132 times the work on 132 SMs costs about as much as 1 block on 1 SM: far less than 132 times.
        Assert.True(perSm < single * 2);
        Assert.Equal(132, CostModel.Breakdown(op, spread, H100).Blocks);
    }

    [Fact]
    public void Independent_accumulators_do_not_replace_a_second_warp_per_scheduler()
    {
        // 132 blocks of four warps: one block, one warp per scheduler, on each SM.
        var op = TestOperators.Gemm(128, 132 * 64, 256);
        var fewWarps = Schedule.Parse("block=128x64 thread=8x8 reduce=16 shared=A,B vector=4");
        var eightWarps = TestOperators.Gemm(128, 132 * 128, 256);

        var few = CostModel.Breakdown(op, fewWarps, H100);
        var many = CostModel.Breakdown(eightWarps, fewWarps, H100);

        // 64 accumulators per thread, yet 4 warps per SM hide only half the latency; 8 warps hide it all.
        Assert.Equal(132, few.Blocks);
        Assert.Equal(0.5, few.Occupancy.LatencyEfficiency, 3);
        Assert.Equal(1.0, many.Occupancy.LatencyEfficiency, 3);
    }

    [Fact]
    public void Splitting_a_long_reduction_of_a_small_output_fills_the_multiprocessors()
    {
        // A batch-1 3x3 convolution at 7x7 with 512 channels: 32 blocks of this tile leave 100 of 132 SMs idle.
        var op = TestOperators.Conv2d(1, 512, 512, 7, 3, 1, 1);
        var whole = Schedule.Parse("block=1x32x8x4 thread=1x4x1x2 vthread=1x1x1x2 reduce=8x3x3 shared=I,W vector=2 pad=4 prefetch=1");
        var split = whole with { SplitReduce = 4 };

        var wholeCost = CostModel.Breakdown(op, whole, H100);
        var splitCost = CostModel.Breakdown(op, split, H100);

        Assert.Null(Legality.Check(op, split, H100));
        Assert.Equal(4 * wholeCost.Blocks, splitCost.Blocks);
        Assert.True(splitCost.Waves.ActiveMultiprocessors > wholeCost.Waves.ActiveMultiprocessors);
        Assert.Equal(4, splitCost.Reduction.SplitBlocks);
        Assert.True(splitCost.Reduction.AtomicBytes > 0);
        Assert.True(splitCost.TotalMs < wholeCost.TotalMs / 1.5);
    }

    [Fact]
    public void Splitting_the_reduction_of_an_output_that_fills_the_gpu_only_adds_atomics()
    {
        var op = TestOperators.Gemm(2048, 2048, 2048);
        var whole = Schedule.Parse("block=128x128 thread=8x8 reduce=16 shared=A,B vector=4 prefetch=1 buffers=2");

        var wholeCost = CostModel.Breakdown(op, whole, H100);
        var splitCost = CostModel.Breakdown(op, whole with { SplitReduce = 4 }, H100);

        Assert.Equal(0, wholeCost.Reduction.AtomicBytes);
        Assert.True(splitCost.TotalMs > wholeCost.TotalMs);
    }

    [Fact]
    public void A_single_buffered_copy_costs_its_wait_even_with_other_blocks_resident()
    {
        // GPT-2's MLP-up GEMM on an H200 (2026-11-29): the single-buffered tiles took 0.2383 ms, the same
        // tiles with the copy prefetched into registers and double-buffered 0.1325 ms. The model, hiding
        // each stage's wait for its copy behind the other resident blocks, had the first 0.6 % faster.
        var op = TestOperators.Gemm(1024, 3072, 768);
        var single = Schedule.Parse("block=64x128 thread=8x8 vthread=2x2 reduce=16 shared=A,B vector=4 pad=4");
        var prefetched = Schedule.Parse("block=64x128 thread=8x8 vthread=2x2 reduce=8 shared=A,B vector=4 pad=4 prefetch=1 buffers=2");

        var singleCost = CostModel.Breakdown(op, single, H100);
        var prefetchedCost = CostModel.Breakdown(op, prefetched, H100);

        Assert.True(singleCost.Occupancy.BlocksPerMultiprocessor > 1);
        Assert.True(prefetchedCost.TotalMs * 1.1 < singleCost.TotalMs, $"{singleCost.TotalMs} ms single-buffered, {prefetchedCost.TotalMs} ms prefetched");
        // The wait explain reports: a memory latency per stage and round of the busiest SM.
        Assert.Equal(singleCost.Waves.Rounds * singleCost.Stages * H100.MemoryLatencyNs * 1e-6, singleCost.MemoryParallelism.CopyWaitMs, 9);
        Assert.Equal(0, prefetchedCost.MemoryParallelism.CopyWaitMs);
    }

    [Fact]
    public void A_prefetched_stage_still_waits_for_its_unstaged_loads()
    {
        // GEMM 1024³ on an H200 (bench/results/gpu-h200-2026-11-29): both operands staged and prefetched
        // took 0.0971 ms, the same with B read from global memory 0.1576 ms. The register prefetch holds
        // only staged copies, so each stage of the second waits for B's loads; the model had them equal.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var staged = Schedule.Parse("block=64x128 thread=4x8 reduce=16 shared=A,B vector=4 pad=4 prefetch=1 buffers=2");
        var unstagedB = Schedule.Parse("block=128x64 thread=4x8 vthread=1x2 reduce=16 shared=A vector=4 pad=4 prefetch=1 buffers=2");

        var stagedMs = CostModel.EstimateMs(op, staged, H100);
        var unstagedMs = CostModel.EstimateMs(op, unstagedB, H100);

        Assert.True(stagedMs * 1.05 < unstagedMs, $"{stagedMs} ms with B staged, {unstagedMs} ms with B unstaged");
    }

    [Fact]
    public void More_work_with_the_same_schedule_never_costs_less()
    {
        var schedule = Schedule.Parse("block=64x64 thread=4x4 reduce=8 shared=A,B vector=4");
        var previous = 0.0;
        foreach (var size in new[] { 128, 256, 512, 1024, 2048, 4096 })
        {
            var cost = CostModel.EstimateMs(TestOperators.Gemm(size, size, size), schedule, H100);
            Assert.True(cost >= previous, $"size {size}: {cost} < {previous}");
            previous = cost;
        }
    }

    [Fact]
    public void Virtual_threads_remove_shared_memory_bank_conflicts()
    {
        // Two outputs per thread along n: lanes read B two words apart, two lanes per bank;
        // with two virtual threads neighbouring lanes read neighbouring words.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var contiguous = Schedule.Parse("block=64x64 thread=4x2 vthread=1x1 reduce=8 shared=A,B vector=4");
        var strided = contiguous with { VirtualThreads = ValueArray.Of(1, 2) };

        var conflicted = CostModel.Breakdown(op, contiguous, H100);
        var spread = CostModel.Breakdown(op, strided, H100);

        Assert.True(spread.SharedMemory.ConflictFactor < conflicted.SharedMemory.ConflictFactor);
        Assert.True(spread.SharedMemory.Bytes < conflicted.SharedMemory.Bytes);
    }

    [Fact]
    public void Fewer_outputs_along_the_contiguous_axis_read_shared_memory_in_fewer_passes()
    {
        // Shared memory hands each lane one register per clock, so a 128-bit load takes 4 passes, 2 where
        // neighbouring lanes share its address. Per k, 8x4 (a warp 2 rows of 16 threads) loads A twice, each
        // shared by the 16 threads of a row (2 passes), and B once (4): 8 passes; 4x8 (4 rows of 8) loads A
        // once (2) and B twice (4 each): 10. The copies are the same. On an H200 the two measured 0.1053 and
        // 0.1321 ms (bench/results/gpu-h200-2026-11-29), where counting only bank conflicts tied them.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var rows = Schedule.Parse("block=64x64 thread=8x4 reduce=64 shared=A,B vector=4 pad=4");
        var columns = rows with { ThreadTile = ValueArray.Of(4, 8) };

        var fewer = CostModel.Breakdown(op, rows, H100);
        var more = CostModel.Breakdown(op, columns, H100);

        Assert.Equal(64 * (10 - 8), more.SharedMemory.PassesPerStage - fewer.SharedMemory.PassesPerStage);
        Assert.True(fewer.TotalMs < more.TotalMs, $"{fewer.TotalMs} ms against {more.TotalMs} ms");
    }

    [Fact]
    public void A_staged_copy_takes_passes_to_load_its_registers_and_to_store_them()
    {
        // B staged alone, 64x64 a stage: 128 threads copy it in 8 rounds of 128-bit loads and stores. Each
        // round's load returns through L1 (4 passes) and its store goes to the banks (4 passes, rows
        // untransposed); the loop's 64 points each read B once with LDS.128, no two lanes sharing it (4).
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var schedule = Schedule.Parse("block=64x64 thread=8x4 reduce=64 shared=B vector=4 pad=4");

        var shared = CostModel.Breakdown(op, schedule, H100).SharedMemory;

        Assert.Equal(64 * 4 + 8 * (4 + 4), shared.PassesPerStage);
        Assert.Equal(1, shared.ConflictFactor);
    }

    [Fact]
    public void A_vector_load_from_global_memory_is_one_request_and_takes_its_return_passes()
    {
        // Nothing staged, one warp of 32 threads along n, 4 outputs each: per k a 128-bit load of B, its 32
        // lanes 16 bytes apart (16 sectors), and a load of A that every lane shares (one sector, but a pass:
        // 4 sectors' worth). Counting B's sectors once per element would make them 64.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var schedule = Schedule.Parse("block=1x128 thread=1x4 reduce=8");

        var breakdown = CostModel.Breakdown(op, schedule, H100);

        var warpLoadSectors = 8 * (16 + 4);
        Assert.Equal(breakdown.Blocks * breakdown.Stages * (double)warpLoadSectors * 32, breakdown.SharedMemory.L1Bytes);
    }

    [Fact]
    public void A_copy_stored_transposed_conflicts_as_its_stored_rows_fall_on_the_banks()
    {
        // W is stored filter-innermost: the lanes of a warp copy consecutive weights of one filter,
        // which land a stored row of 16 filters apart (pad=0), on 2 of the 32 banks: 16 lanes a bank.
        // Rows of 20 (pad=4) spread them over 8 banks, 4 lanes each.
        var op = OperatorBuilder.Build(SpecReader.FromInline("O[f,y,x] += I[c,y+r,x+s] * W[f,c,r,s]", "f=64,y=16,x=16,c=64,r=3,s=3", "conv", null));
        var unpadded = Schedule.Parse("block=16x4x16 thread=2x1x2 reduce=8x3x3 shared=W pad=0");
        var padded = unpadded with { SharedPadding = 4 };
        var analysis = OperatorAnalysis.Of(op);
        Span<int> tile = stackalloc int[analysis.AxisCount];
        analysis.BlockStageTile(padded, tile);
        Span<long> stored = stackalloc long[32];

        Assert.Equal(32, analysis.CopyStoreOffsets(1, padded, tile, 1, stored));
        Assert.Equal([0L, 20, 40, 60], stored[..4].ToArray());
        // The box's 1152 weights take 256 threads 5 rounds; W's reads in the loop are the same either way.
        var passes = CostModel.Breakdown(op, unpadded, H100).SharedMemory.PassesPerStage - CostModel.Breakdown(op, padded, H100).SharedMemory.PassesPerStage;
        Assert.Equal(5 * (16 - 4), passes);
    }

    [Fact]
    public void A_thread_tile_of_one_output_issues_mostly_loads()
    {
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var tiny = Schedule.Parse("block=16x16 thread=1x1 reduce=16 shared=A,B");
        var blocked = Schedule.Parse("block=64x64 thread=4x4 reduce=16 shared=A,B");

        Assert.True(CostModel.Breakdown(op, tiny, H100).Issue.FmaFraction < CostModel.Breakdown(op, blocked, H100).Issue.FmaFraction);
    }

    [Fact]
    public void Reading_along_the_contiguous_dimension_coalesces()
    {
        // Neighbouring threads along n read B[k,n] at neighbouring addresses, but
        // A[m,k]... along the transposed operator they read a column: 32 sectors per warp.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var schedule = Schedule.Parse("block=8x128 thread=1x1 reduce=8");
        var transposed = new Operator(op.Name, op.Output, op.Axes, op.Inputs, op.Reduction,
            new Binary(BinaryOp.Multiply,
                TestOperators.Read("A", TestOperators.Ix("m"), TestOperators.Ix("k")),
                TestOperators.Read("B", TestOperators.Ix("n"), TestOperators.Ix("k"))),
            null);

        Assert.True(CostModel.Breakdown(transposed, schedule, H100).SharedMemory.L1Bytes > 4 * CostModel.Breakdown(op, schedule, H100).SharedMemory.L1Bytes);
    }

    [Fact]
    public void The_breakdown_total_is_the_estimate_and_is_deterministic()
    {
        var op = TestOperators.Conv2d(1, 64, 64, 56, 3, 1, 1);
        var schedule = Schedule.Parse("block=1x16x4x16 thread=1x4x2x2 reduce=8x3x3 shared=I,W vector=2");

        var breakdown = CostModel.Breakdown(op, schedule, H100);

        Assert.Equal(breakdown.TotalMs, CostModel.EstimateMs(op, schedule, H100));
        Assert.Equal(breakdown, CostModel.Breakdown(op, schedule, H100));
        Assert.True(breakdown.TotalMs >= Math.Max(breakdown.DramMs, Math.Max(breakdown.L2Ms, breakdown.MultiprocessorMs)));
    }

    [Fact]
    public void Of_two_kernels_at_the_same_dram_bound_the_one_that_leaves_the_others_more_slack_is_faster()
    {
        // resnet50 batch 32's s1_reduce_first: without the overlap loss, both (and the next 38 leading
        // candidates) estimated 0.02105 ms and the text of the schedule ranked them.
        var op = Operators.Parse("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=32,f=64,y=56,x=56,c=64");
        var busy = CostModel.Breakdown(op, Schedule.Parse("block=1x64x64 thread=1x16x4 reduce=16 shared=W vector=4 prefetch=1 buffers=2"), H100);
        var slack = CostModel.Breakdown(op, Schedule.Parse("block=32x64x8 thread=1x8x8 reduce=16 shared=I,W vector=2 prefetch=1 buffers=2"), H100);

        Assert.Equal(busy.DramMs, slack.DramMs);
        Assert.All([busy, slack], b => Assert.True(b.DramMs > Math.Max(b.MultiprocessorMs, b.L2Ms)));
        Assert.True(slack.MultiprocessorMs + slack.L2Ms < busy.MultiprocessorMs + busy.L2Ms);
        Assert.True(slack.TotalMs < busy.TotalMs, $"{slack.TotalMs} ms against {busy.TotalMs} ms");
        Assert.All([busy, slack], b => Assert.Equal(H100.OverlapLoss * (b.MultiprocessorMs + b.L2Ms), b.OverlapMs, 12));
        Assert.All([busy, slack], b => Assert.Equal(b.DramMs + b.OverlapMs + b.LaunchMs, b.TotalMs, 12));
    }

    [Theory]
    [InlineData("block=1x16x4x16 thread=1x4x2x2 reduce=8x3x3 shared=I,W vector=2")]
    [InlineData("block=1x8x8x8 thread=1x2x2x2 vthread=1x1x1x2 reduce=4x1x3 shared=W")]
    [InlineData("block=1x8x8x8 thread=1x2x2x2 reduce=4x1x3 shared=I,W vector=4 pad=4 prefetch=1")]
    public void The_hot_path_sizes_agree_with_the_staged_layouts_and_copy_plans(string text)
    {
        var op = TestOperators.Conv2d(1, 64, 64, 56, 3, 1, 1);
        var schedule = Schedule.Parse(text);
        var analysis = OperatorAnalysis.Of(op);
        var staged = Enumerable.Range(0, analysis.ReadCount).Where(r => schedule.IsShared(analysis.ReadTensor(r))).ToArray();

        var expectedShared = staged.Sum(r => analysis.Layout(r, schedule).StoredElements * sizeof(float));

        Assert.Equal(expectedShared, analysis.SharedMemoryBytes(schedule));
        // The first warp's copy stores, walked without divisions, land where the layout stores each element.
        Span<int> tile = stackalloc int[analysis.AxisCount];
        analysis.BlockStageTile(schedule, tile);
        Span<long> offsets = stackalloc long[32];
        foreach (var r in staged)
        {
            var layout = analysis.Layout(r, schedule);
            var width = analysis.Copy(r, schedule).Width;
            var count = analysis.CopyStoreOffsets(r, schedule, tile, width, offsets);
            var expected = Enumerable.Range(0, count).Select(l => layout.OffsetOf(Coordinates((long)l * width, layout.Box.Extents))).ToArray();
            Assert.Equal(expected, offsets[..count].ToArray());
            // A chunk's elements are one innermost stored stride apart.
            var firsts = offsets[..count].ToArray();
            Assert.All(Enumerable.Range(0, count * width), e =>
                Assert.Equal(layout.OffsetOf(Coordinates(e, layout.Box.Extents)), firsts[e / width] + e % width * layout.Strides[^1]));
        }
    }

    /// <summary>The coordinates of element <paramref name="element"/> of a box walked innermost dimension first.</summary>
    private static long[] Coordinates(long element, IReadOnlyList<int> extents)
    {
        var coordinates = new long[extents.Count];
        for (var d = extents.Count - 1; d >= 0; d--)
        {
            coordinates[d] = element % extents[d];
            element /= extents[d];
        }
        return coordinates;
    }

    [Fact]
    public void A_strided_window_box_spans_every_point_the_tile_reads()
    {
        // I[b,c,y*2+r-1,x*2+s-1] over a block of 8 along y and x and a 3x3 window: 2*7 + 2 + 1 = 17 rows and columns.
        var op = TestOperators.Conv2d(1, 64, 64, 56, 3, 2, 1);
        var analysis = OperatorAnalysis.Of(op);
        var schedule = Schedule.Parse("block=1x8x8x8 thread=1x2x2x2 reduce=4x3x3 shared=I");

        var box = analysis.BlockStageBox(0, schedule);

        Assert.Equal(new[] { 1, 4, 17, 17 }, box.Extents.ToArray());
        Assert.Equal(new[] { 0, 0, 0, 0 }, box.Offsets.ToArray());
    }
}
