using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Construction;

/// <summary>
/// ILGPU's CPU accelerator runs every GPU thread as an OS thread and synchronises them with
/// OS primitives: its profile charges each thread at every synchronisation (thread_sync_ns),
/// which GPUs, whose barriers are hardware, do not.
/// </summary>
public class CpuAcceleratorCostTests
{
    private static readonly HardwareProfile Cpu = BuiltInProfiles.Cpu;

    [Fact]
    public void Fewer_threads_each_doing_more_win_on_the_cpu_accelerator()
    {
        var op = TestOperators.Elementwise(1024, 1024);
        var many = Schedule.Parse("block=64x64 thread=4x4 reduce=-");
        var few = Schedule.Parse("block=128x128 thread=16x4 reduce=-");

        Assert.True(CostModel.EstimateMs(op, few, Cpu) < CostModel.EstimateMs(op, many, Cpu) / 2);
    }

    [Fact]
    public void Each_block_barrier_wakes_every_thread_of_the_block()
    {
        var op = TestOperators.Gemm(128, 128, 128);
        var staged = Schedule.Parse("block=64x64 thread=4x4 reduce=16 shared=A,B");
        var free = Cpu with { ThreadSyncNs = 0 };
        var doubled = Cpu with { ThreadSyncNs = 2 * Cpu.ThreadSyncNs };

        var withoutSync = CostModel.EstimateMs(op, staged, free);
        var once = CostModel.EstimateMs(op, staged, Cpu) - withoutSync;
        var twice = CostModel.EstimateMs(op, staged, doubled) - withoutSync;

        // 4 blocks of 256 threads on 2 multiprocessors: 2 blocks each, 8 stages of 2 barriers and the block's end.
        var expected = 2 * (8 * 2 + 1) * 256 * Cpu.ThreadSyncNs * 1e-6;
        Assert.Equal(expected, once, expected * 1e-6);
        Assert.Equal(2 * once, twice, once * 1e-6);
    }

    [Fact]
    public void The_emulated_mma_pays_a_wake_of_every_thread_per_shuffle_so_a_scalar_tile_wins_on_the_cpu_accelerator()
    {
        // Measured on this machine in one minute: the tensor-core schedule 14.3 s a run, the scalar 32x32 tile 0.30 s.
        var op = Operators.Parse(Operators.Gemm, "m=128,n=128,k=128", null, "bf16");
        var mma = Schedule.Parse("block=128x64 thread=16x64 reduce=64 shared=A,B mma=m16n8k16");
        var scalar = Schedule.Parse("block=32x32 thread=4x4 reduce=8 shared=A,B");
        var free = Cpu with { ThreadSyncNs = 0 };

        var once = CostModel.EstimateMs(op, mma, Cpu) - CostModel.EstimateMs(op, mma, free);

        // 2 blocks of 8 warps (256 threads), one a multiprocessor; 2 stages of 2 barriers, and per warp and
        // stage 8 tiles x 4 k-steps of 32 shuffles, each two warp barriers; then the block's end.
        var expected = (2 * 2 + 2 * (2 * 8 * 4 * 32) + 1) * 256 * Cpu.ThreadSyncNs * 1e-6;
        Assert.Equal(expected, once, expected * 1e-6);
        Assert.True(CostModel.EstimateMs(op, scalar, Cpu) < CostModel.EstimateMs(op, mma, Cpu) / 10);
        Assert.DoesNotContain("mma", PolicyCatalog.Get("gensor").Construct(op, Cpu, new ConstructionOptions(TopK: 5)).Candidates[0].Schedule.ToString());
    }

    [Fact]
    public void An_unrolled_stage_beyond_the_cpu_profiles_limit_is_illegal_there_only()
    {
        var op = TestOperators.Gemm(128, 128, 128);
        // 16x8 outputs per thread times 4 unrolled reduce points: 512 straight-line multiply-adds; one point: 128.
        var large = Schedule.Parse("block=128x64 thread=16x8 reduce=4");
        var small = Schedule.Parse("block=128x64 thread=16x8 reduce=1");

        Assert.Contains("unrolled stage", Legality.Check(op, large, Cpu));
        Assert.Null(Legality.Check(op, small, Cpu));
        Assert.All(BuiltInProfiles.All.Where(p => !p.Simulated), p => Assert.Equal(0, p.MaxUnrolledUpdates));
    }

    [Fact]
    public void Gpu_profiles_have_no_per_thread_synchronisation_cost() =>
        Assert.All(BuiltInProfiles.All.Where(p => !p.Simulated), p => Assert.Equal(0, p.ThreadSyncNs));
}
