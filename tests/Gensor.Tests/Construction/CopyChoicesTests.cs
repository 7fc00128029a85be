using Gensor.Analysis;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Construction.Primitives;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Tests.Construction;

/// <summary>
/// The copy choices of a staged schedule (vector width, shared-row padding,
/// register prefetch): where they exist in the space, what they cost, and that
/// the legality rules count them the way the code generator lays them out.
/// </summary>
public sealed class CopyChoicesTests
{
    private static readonly Operator Gemm = TestOperators.Gemm(512, 512, 512);

    [Fact]
    public void Padding_adds_four_words_to_every_row_of_every_staged_box()
    {
        var schedule = Schedule.Parse("block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 pad=4");

        // A's box is stored k-major, like B's: 8 rows of 32 (+4) floats each.
        Assert.Equal((8 * 36 + 8 * 36) * sizeof(float), OperatorAnalysis.Of(Gemm).SharedMemoryBytes(schedule));
    }

    [Fact]
    public void Prefetch_holds_each_threads_share_of_the_next_stage_in_registers()
    {
        var plain = Schedule.Parse("block=32x32 thread=4x4 reduce=8 shared=A,B vector=4");
        var prefetch = plain with { RegisterPrefetch = true };

        // 64 threads copy 256 + 256 floats in chunks of 4: 4 + 4 registers each. Without the prefetch the
        // copy and the multiply-adds take turns with registers; with it, the 8 values stay through both.
        var added = OperatorAnalysis.Of(Gemm).RegistersPerThread(prefetch) - OperatorAnalysis.Of(Gemm).RegistersPerThread(plain);
        Assert.InRange(added, 1, 8);
    }

    [Fact]
    public void Padding_and_prefetch_need_something_staged()
    {
        var unstaged = Schedule.Parse("block=32x32 thread=4x4 reduce=8");

        Assert.Null(new TogglePadding().Apply(Gemm, unstaged).Schedule);
        Assert.Null(new TogglePrefetch().Apply(Gemm, unstaged).Schedule);
        Assert.Null(new ChangeVectorWidth(Grow: true).Apply(Gemm, unstaged).Schedule);
    }

    [Fact]
    public void Unstaging_the_last_input_resets_the_copy_choices()
    {
        var staged = Schedule.Parse("block=32x32 thread=4x4 reduce=8 shared=A vector=4 pad=4 prefetch=1");

        var unstaged = new ToggleStaging("A").Apply(Gemm, staged).Schedule!;

        Assert.Equal(Schedule.Parse("block=32x32 thread=4x4 reduce=8"), unstaged);
        Assert.True(ScheduleSpace.For(Gemm).Contains(unstaged));
    }

    [Fact]
    public void Padding_removes_the_bank_conflict_between_rows_of_a_warp()
    {
        // A pointwise convolution's input box rows are 32 floats along x: the eight rows
        // of a warp read the box 32 words apart, the same bank, unless the rows are padded.
        var conv = TestOperators.Conv2d(1, 64, 64, 32, 1, 1, 0);
        var plain = Schedule.Parse("block=1x4x8x32 thread=1x1x1x16 reduce=8x1x1 shared=I,W vector=4");
        var padded = plain with { SharedPadding = 4 };

        Assert.True(CostModel.Breakdown(conv, padded, BuiltInProfiles.H100).SharedMemory.ConflictFactor
            < CostModel.Breakdown(conv, plain, BuiltInProfiles.H100).SharedMemory.ConflictFactor);
    }

    [Fact]
    public void Prefetch_hides_the_stage_copy_latency_of_a_latency_bound_schedule()
    {
        // One block per SM at most, many short stages: each stage waits for its copy.
        var plain = Schedule.Parse("block=128x128 thread=8x8 reduce=8 shared=A,B vector=4");
        var prefetch = plain with { RegisterPrefetch = true };

        Assert.True(CostModel.EstimateMs(Gemm, prefetch, BuiltInProfiles.H100) < CostModel.EstimateMs(Gemm, plain, BuiltInProfiles.H100));
    }

    [Fact]
    public void The_measured_candidates_differ_in_structure_not_only_in_details()
    {
        var result = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(TopK: 10, Seed: 1));

        var structures = result.Candidates.Select(c => (c.Schedule.BlockTile, c.Schedule.ThreadTile, c.Schedule.ReduceStep, c.Schedule.SharedInputs)).Distinct();
        Assert.Equal(10, structures.Count());
        Assert.Equal(result.Candidates.Min(c => c.EstimatedMs), result.Candidates[0].EstimatedMs);
    }

    [Fact]
    public void Generated_kernels_stay_within_cudas_48_KB_of_static_shared_memory_even_where_the_gpu_has_more()
    {
        // 64 KB of staged boxes: the H100 has 227 KB per block, but only 48 KB can be static.
        var schedule = Schedule.Parse("block=128x128 thread=8x8 reduce=64 shared=A,B");

        Assert.Equal(2 * 128 * 64 * sizeof(float), OperatorAnalysis.Of(Gemm).SharedMemoryBytes(schedule));
        Assert.Contains("(48 KB)", Legality.Check(Gemm, schedule, BuiltInProfiles.H100));
    }
}
