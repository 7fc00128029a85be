using Gensor.Analysis;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Construction;

/// <summary>The tensor-core model's terms (<see cref="TensorCoreBreakdown"/>): what <c>explain</c> shows of a tensor-core schedule.</summary>
public sealed class TensorCoreCostTests
{
    private static readonly Operator Large = Gemm("m=4096,n=4096,k=4096");

    private static readonly Schedule Tile = Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16");

    private static Operator Gemm(string shape) => Operators.Parse(Operators.Gemm, shape, null, "f16");

    private static TensorCoreBreakdown Terms(Operator op, Schedule schedule, HardwareProfile profile, int? registers = null) =>
        CostModel.TensorCoreTerms(op, schedule, profile, registers) ?? throw new InvalidOperationException($"{schedule} is no tensor-core schedule of {op.Name}");

    private static double[] Bounds(TensorCoreBreakdown b) => [b.TensorCoreMs, b.SharedMemoryMs, b.L2Ms, b.DramMs];

    public static TheoryData<string, string, string> Cases => new()
    {
        { "h100", "m=4096,n=4096,k=4096", "block=128x128 thread=64x32 reduce=32 shared=A,B" },
        { "a100", "m=4096,n=4096,k=4096", "block=64x64 thread=32x32 reduce=64 shared=A,B" },
        { "h100", "m=128,n=128,k=128", "block=64x64 thread=16x8 reduce=64 shared=A,B" },
        { "cpu", "m=128,n=128,k=128", "block=64x64 thread=32x32 reduce=64 shared=A,B" },
        { "cpu", "m=128,n=128,k=128", "block=32x32 thread=16x16 reduce=32 shared=A,B" },
        { "h100", "m=4096,n=4096,k=4096", "block=128x128 thread=64x64 reduce=32 shared=A,B buffers=2 prefetch=1" },
        { "cpu", "m=128,n=128,k=128", "block=32x32 thread=16x16 reduce=32 shared=A,B buffers=2 prefetch=1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_breakdowns_total_is_the_estimate_bit_for_bit(string profile, string shape, string schedule)
    {
        var op = Gemm(shape);
        var s = Schedule.Parse(schedule + " mma=m16n8k16");

        Assert.Equal(CostModel.EstimateMs(op, s, ProfileCatalog.Get(profile)), Terms(op, s, ProfileCatalog.Get(profile)).TotalMs);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_total_is_the_largest_bound_with_a_share_of_the_others_plus_copy_wait_barriers_thread_wakes_and_the_launch(string profile, string shape, string schedule)
    {
        var b = Terms(Gemm(shape), Schedule.Parse(schedule + " mma=m16n8k16"), ProfileCatalog.Get(profile));

        var bounds = Bounds(b);
        double[] all = [.. bounds, b.LatencyMs];
        Assert.Equal(ProfileCatalog.Get(profile).OverlapLoss * (all.Sum() - all.Max()), b.OverlapMs, b.TotalMs * 1e-12);
        Assert.Equal(Math.Max(bounds.Max(), b.LatencyMs) + b.OverlapMs + b.CopyWaitMs + b.BarrierMs + b.ThreadSyncMs + b.LaunchMs, b.TotalMs, b.TotalMs * 1e-12);
        Assert.All(bounds, bound => Assert.True(bound > 0));
        // A stage's latency is a bound of a pipelined schedule and a wait added to a single-buffered one.
        Assert.Equal(b.Pipelined ? b.LatencyMs : b.CopyWaitMs, b.Stages * b.Waves.Rounds * ProfileCatalog.Get(profile).MemoryLatencyNs * 1e-6, 12);
        Assert.Equal(0, b.Pipelined ? b.CopyWaitMs : b.LatencyMs);
    }

    [Fact]
    public void A_pipelined_stage_overlaps_its_copy_a_single_buffered_one_waits_for_it()
    {
        var single = Terms(Large, Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16"), BuiltInProfiles.H100);
        var pipelined = Terms(Large, Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1"), BuiltInProfiles.H100);

        // 128 stages in 4 rounds (2 blocks of 256 threads an SM either way: estimates of 104 and 128 registers, 20 and 40 KB shared).
        Assert.Equal((4, 4), (single.Waves.Rounds, pipelined.Waves.Rounds));
        var stageLatency = 4 * 128 * BuiltInProfiles.H100.MemoryLatencyNs * 1e-6;
        Assert.Equal((0, stageLatency), (single.LatencyMs, single.CopyWaitMs));
        Assert.Equal((stageLatency, 0), (pipelined.LatencyMs, pipelined.CopyWaitMs));
        Assert.Equal(2 * pipelined.BarrierMs, single.BarrierMs, 12);
        Assert.Equal(2 * single.Occupancy.SharedBytesPerBlock, pipelined.Occupancy.SharedBytesPerBlock);
        Assert.True(pipelined.TotalMs < single.TotalMs);
    }

    [Fact]
    public void Two_buffers_come_with_the_prefetch_that_fills_them()
    {
        var buffersAlone = Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2");

        Assert.Contains("buffers=2 and prefetch=1 together", TensorCoreTiling.Of(Large, buffersAlone).Reason);
        Assert.Contains("buffers=2 and prefetch=1 together", Legality.Check(Large, buffersAlone, BuiltInProfiles.H100));
        var pipelined = TensorCoreTiling.Of(Large, Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1")).Tiling!;
        // 16-bit operands go from global to shared memory by cp.async: no register holds the next stage.
        Assert.Equal((1, true, 0), (pipelined.BarriersPerStage, pipelined.AsyncCopies, pipelined.PrefetchRegisters));
        var tf32 = TensorCoreTiling.Of(Operators.Parse(Operators.Gemm, "m=4096,n=4096,k=4096", null, "f32"), Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k8tf32 buffers=2 prefetch=1")).Tiling!;
        // TF32 is rounded on its way through registers: 16 words of A and 16 of B a thread.
        Assert.Equal((1, false, 16 + 16), (tf32.BarriersPerStage, tf32.AsyncCopies, tf32.PrefetchRegisters));
    }

    [Fact]
    public void A_warp_tile_that_reuses_its_fragments_more_moves_less_through_shared_memory()
    {
        var narrow = Terms(Large, Tile, BuiltInProfiles.H100);
        var wide = Terms(Large, Schedule.Parse("block=128x128 thread=64x64 reduce=32 shared=A,B mma=m16n8k16"), BuiltInProfiles.H100);

        // A 64x64 warp tile loads 4 A and 8 B fragments for 32 MMAs a k-step; 64x32 loads 4 and 4 for 16.
        Assert.Equal(8192, wide.SharedMemory.FragmentWordsPerStage);
        Assert.Equal(12288, narrow.SharedMemory.FragmentWordsPerStage);
        Assert.Equal(narrow.SharedMemoryMs, Bounds(narrow).Max());
        Assert.True(wide.SharedMemoryMs < narrow.SharedMemoryMs);
        Assert.True(wide.TotalMs < narrow.TotalMs);
    }

    [Fact]
    public void A_copy_in_consecutive_padded_rows_would_take_two_passes_and_the_spread_rows_take_one()
    {
        // Rows of 8 words padded to 12: a warp's 32-bit stores to rows 0-3 put rows 0 and 3 on banks 4-7.
        var rows = new SharedRows(Rows: 64, Words: 8, Threads: 128);
        Assert.Equal(2, SharedRows.BankPasses(thread => (thread / 8 * rows.Stride) + (thread % 8), 32));
        Assert.Equal(1, rows.CopyPasses);
        // TF32's B, read 4 rows of 8 words a warp: rows of 16 words padded to 24, spread 2 rows apart (48 ≡ 16 mod 32).
        var tf32 = new SharedRows(Rows: 16, Words: 16, Threads: 128, ReadWords: 8);
        Assert.Equal((24, 2), (tf32.Stride, SharedRows.BankPasses(thread => (thread / 16 * tf32.Stride) + (thread % 16), 32)));
        Assert.Equal([0, 2, 1, 3, 4], new[] { 0, 16, 32, 48, 64 }.Select(tf32.Row));
        Assert.Equal((1, 1), (tf32.CopyPasses, tf32.MatrixPasses));
    }

    [Fact]
    public void The_shared_memory_term_counts_each_words_bank_passes()
    {
        var op = Operators.Parse(Operators.Gemm, "m=4096,n=4096,k=4096", null, "f32");
        var narrow = Schedule.Parse("block=64x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k8tf32");
        var tiling = TensorCoreTiling.Of(op, narrow).Tiling!;

        Assert.Equal((1, 1, 1), (tiling.FragmentPasses, tiling.CopyPassesA, tiling.CopyPassesB));
        var b = Terms(op, narrow, BuiltInProfiles.H100);
        // 4 warps x 2 k-steps x (1 A tile x 4 + 2 B tiles x 2 words) x 32 lanes of fragments and (64 + 16) x 16 copied
        // words a stage, each in one pass.
        Assert.Equal((2048L, 1280L, 1.0), (b.SharedMemory.FragmentWordsPerStage, b.SharedMemory.CopyWordsPerStage, b.SharedMemory.ConflictFactor));
    }

    [Fact]
    public void A_warps_rows_of_A_spread_over_their_group_of_8_fill_32_banks()
    {
        var spread = TensorCoreTiling.Of(Large, Schedule.Parse("block=256x128 thread=64x64 reduce=16 shared=A,B mma=m16n8k16")).Tiling!;
        var halfRows = TensorCoreTiling.Of(Large, Schedule.Parse("block=128x128 thread=64x64 reduce=32 shared=A,B mma=m16n8k16")).Tiling!;

        // 128-bit units, 8 threads a store pass. Rows of 8 words (2 units): the first pass copies rows 0, 2, 4, 6 and
        // the second rows 1, 3, 5, 7; of 16 words (4 units), the first pass rows 0 and 4.
        Assert.Equal((4, 4), (spread.RowsA.Unit, halfRows.RowsA.Unit));
        Assert.Equal([0, 2, 4, 6, 1, 3, 5, 7, 8], new[] { 0, 2, 4, 6, 8, 10, 12, 14, 16 }.Select(spread.RowsA.Row));
        Assert.Equal([0, 4, 1, 5, 8], new[] { 0, 4, 8, 12, 32 }.Select(halfRows.RowsA.Row));
        Assert.Equal((1, 1), (spread.CopyPassesA, halfRows.CopyPassesA));
    }
    [Theory]
    [InlineData("f16")]
    [InlineData("f32")]
    public void Every_fragment_load_and_copy_of_B_in_the_tiling_space_is_free_of_bank_conflicts(string dtype)
    {
        // The rows' padding of 4 words is for this (see TensorCoreTiling's remarks).
        var op = Operators.Parse(Operators.Gemm, "m=1024,n=1024,k=1024", null, dtype);
        var unbounded = BuiltInProfiles.H100 with { MaxRegistersPerThread = 1 << 20, RegistersPerMultiprocessor = int.MaxValue, OccupancyGoalThreads = 0 };

        var tilings = TensorCoreChoice.Schedules(op, unbounded, allowTf32: true).Select(s => TensorCoreTiling.Of(op, s).Tiling!).ToArray();

        Assert.True(tilings.Length > 100);
        Assert.All(tilings, t => Assert.Equal(1, t.FragmentPasses));
        // The spread rows of the boxes (SharedRows.Row) give a store pass 32 banks.
        Assert.All(tilings, t => Assert.Equal(1, t.CopyPassesB));
        Assert.All(tilings, t => Assert.Equal(1, t.CopyPassesA));
        // A box kept in rows is copied once, and a thread's word u lies as many rows and words from its first as
        // thread 0's does: the kernel's windows take constant offsets.
        Assert.All(tilings.SelectMany(t => new[] { t.RowsA, t.RowsB }), rows =>
        {
            var items = Enumerable.Range(0, rows.Rows * rows.ItemsPerRow).ToArray();
            Assert.Equal(items.Length, items.Select(i => (rows.Row(i), rows.Word(i))).Distinct().Count());
            Assert.All(items, i => Assert.Equal(
                (rows.Row(i % rows.Threads) + rows.Row(i / rows.Threads * rows.Threads), rows.Word(i % rows.Threads) + rows.Word(i / rows.Threads * rows.Threads)),
                (rows.Row(i), rows.Word(i))));
        });
    }

    [Fact]
    public void A_partial_last_round_costs_a_full_one()
    {
        var b = Terms(Large, Schedule.Parse("block=128x128 thread=64x64 reduce=32 shared=A,B mma=m16n8k16"), BuiltInProfiles.H100);

        // 1,024 blocks, 2 resident on each of 132 SMs: 264 slots, 4 rounds of which the last is not full.
        Assert.Equal(1024, b.Blocks);
        Assert.Equal(2, b.Occupancy.BlocksPerMultiprocessor);
        Assert.Equal(4, b.Waves.Rounds);
        Assert.Equal(1024.0 / (4 * 264), b.Waves.TailEfficiency, 12);
        var wholeRounds = b.TensorCore.Flops / (b.TensorCore.PeakGflops * 1e9 * b.TensorCore.Efficiency) * 1e3;
        Assert.Equal(wholeRounds / b.Waves.TailEfficiency, b.TensorCoreMs, b.TensorCoreMs * 1e-12);
        Assert.Equal(2.0 * 4096 * 4096 * 4096, b.TensorCore.Flops);
        Assert.Equal(0, b.ThreadSyncMs);
        Assert.Equal(0, b.ThreadWakesPerBlock);
    }

    [Fact]
    public void Ptxas_registers_replace_the_tilings_estimate_in_occupancy_and_the_estimate()
    {
        var estimated = Terms(Large, Tile, BuiltInProfiles.H100);
        var compiled = Terms(Large, Tile, BuiltInProfiles.H100, registers: 64);

        // The estimate: 64 accumulators, one k-step's 24 fragment words, 16 others; 2 blocks of 256 threads fit.
        Assert.Equal(104, estimated.Occupancy.RegistersPerThread);
        Assert.Equal(2, estimated.Occupancy.BlocksPerMultiprocessor);
        Assert.Equal(64, compiled.Occupancy.RegistersPerThread);
        Assert.Equal("registers", compiled.Occupancy.Limiter);
        Assert.Equal(4, compiled.Occupancy.BlocksPerMultiprocessor);
        Assert.Equal(1024, compiled.Occupancy.ThreadsPerMultiprocessor);
        Assert.True(compiled.Waves.Rounds < estimated.Waves.Rounds);
        Assert.True(compiled.TotalMs < estimated.TotalMs);
    }

    [Fact]
    public void Shared_memory_counts_every_fragment_load_and_copy_store_of_every_stage()
    {
        var b = Terms(Large, Tile, BuiltInProfiles.H100);

        // 8 warps x 2 k-steps x (4 A tiles x 4 words + 4 B tiles x 2 words) x 32 lanes; (128 + 128) rows x 16 words.
        Assert.Equal(8 * 2 * ((4 * 4) + (4 * 2)) * 32, b.SharedMemory.FragmentWordsPerStage);
        Assert.Equal(256 * 16, b.SharedMemory.CopyWordsPerStage);
        // Stage 32: rows of 16 words padded to 20; A's and B's copy stores take 1 pass each (8 words a thread of each).
        Assert.Equal(1, b.SharedMemory.ConflictFactor, 12);
        Assert.Equal(1024.0 * 128 * (b.SharedMemory.FragmentWordsPerStage + (256 * ((8 * 1) + (8 * 1)))) * 4, b.SharedMemory.Bytes);
        Assert.Equal((2.0 * 4096 * 4096 * 2) + C(Large), b.L2Reuse.DramBytes);
        Assert.Equal((1024.0 * 256 * 4096 * 2) + C(Large), b.L2Reuse.L2Bytes);
    }

    [Fact]
    public void A_short_reduction_is_bound_by_storing_its_output()
    {
        // 4096x4096 outputs from 32 products each: A and B are 0.5 MB, C 32 MB.
        var op = Gemm("m=4096,n=4096,k=32");
        var b = Terms(op, Schedule.Parse("block=128x128 thread=64x64 reduce=32 shared=A,B mma=m16n8k16"), BuiltInProfiles.H100);

        Assert.Equal((2.0 * 4096 * 32 * 2) + C(op), b.L2Reuse.DramBytes);
        Assert.Equal(b.DramMs, Bounds(b).Max());
        Assert.Equal(C(op) / (BuiltInProfiles.H100.DramBandwidthGBs * 1e9 * BuiltInProfiles.H100.DramEfficiency) * 1e3, b.DramMs, b.DramMs * 0.02);
    }

    private static double C(Operator op) => (double)op.Output.ElementCount * op.Output.Type.Bytes();

    [Fact]
    public void Each_model_answers_for_its_own_schedules_only()
    {
        var scalar = Schedule.Parse("block=128x128 thread=8x8 reduce=16 shared=A,B");

        Assert.Null(CostModel.TensorCoreTerms(Large, scalar, BuiltInProfiles.H100));
        Assert.Equal(CostModel.EstimateMs(Large, scalar, BuiltInProfiles.H100), CostModel.Breakdown(Large, scalar, BuiltInProfiles.H100).TotalMs);
        Assert.Throws<ArgumentException>(() => CostModel.Breakdown(Large, Tile, BuiltInProfiles.H100));
    }
}
