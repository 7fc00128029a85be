using Gensor.Analysis;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Construction.Cost;

/// <summary>
/// The cost model of a tensor-core schedule (<see cref="TensorCoreTiling"/>), which
/// <see cref="CostModel"/> uses for such schedules: the
/// largest of four bounds, each over the rounds of resident blocks (waves, with
/// the last one's idle multiprocessors), plus a barrier pair per stage, the launch and,
/// on the CPU accelerator, its thread wakes (<see cref="TensorCoreBreakdown"/> gives each term).
/// <list type="bullet">
/// <item>tensor cores: 2·M·N·K flops at the profile's tensor-core peak for the
/// operand type times <see cref="MmaSyncEfficiency"/>;</item>
/// <item>shared memory: fragment loads (one 32-bit word per lane and register) and the
/// copies' stores, bank conflicts counted, at 128 bytes per clock per multiprocessor;</item>
/// <item>L2: every block reads its BM×K and K×BN operand boxes, and C is stored;</item>
/// <item>DRAM: A, B and C once (the boxes blocks share stay in L2);</item>
/// <item>latency, pipelined schedules only: a stage lasts at least a global load's latency, since its
/// prefetch must arrive before the next stage starts.</item>
/// </list>
/// A single-buffered stage instead waits for its own copy: the latency is added per stage and round, as
/// <see cref="CostModel"/> adds it for the scalar kernels (the blocks of an SM reach that wait together; on an
/// H200 single-buffered scalar GEMMs ran 1.5-2.5x slower than the same tiles with the copy prefetched).
/// </summary>
public static class TensorCoreCost
{
    /// <summary>
    /// Share of the tensor-core peak that <c>mma.sync</c> kernels reach. On H100 the peak
    /// needs wgmma (sm_90a), which ILGPU cannot emit; published mma.sync GEMMs on sm_80/sm_90
    /// reach roughly 60-75 % of it, so the model takes the lower end.
    /// </summary>
    public const double MmaSyncEfficiency = 0.6;

    /// <summary>Shared-memory bytes a multiprocessor serves per clock (32 banks of 4 bytes).</summary>
    public const double SharedBytesPerClock = 128;

    /// <summary>The estimate with every term, for <c>explain</c>; <paramref name="registersPerThread"/> (ptxas's count) replaces the tiling's estimate.</summary>
    public static TensorCoreBreakdown Breakdown(TensorCoreTiling tiling, HardwareProfile profile, int? registersPerThread = null)
    {
        var p = tiling.Product;
        var operandBytes = p.A.Type.Bytes();
        var registers = registersPerThread ?? tiling.RegistersPerThread;
        var (resident, limiter) = Occupancy.Resident(tiling.Threads, registers, tiling.SharedBytes, profile);
        var slots = (long)Math.Max(1, resident) * profile.Multiprocessors;
        var rounds = (tiling.Blocks + slots - 1) / slots;
        // Work is done in whole rounds: a partial last round costs as much as a full one.
        var roundFactor = (double)rounds * slots / tiling.Blocks;

        var flops = 2.0 * p.M * p.N * p.K;
        var peakGflops = tiling.PeakGflops(profile);
        var computeMs = flops / (peakGflops * 1e9 * MmaSyncEfficiency) * 1e3 * roundFactor;

        var stages = p.K / tiling.StageK;
        var fragmentWords = (long)tiling.Warps * (tiling.StageK / tiling.StepK) * ((tiling.TilesM * 4) + (tiling.TilesN * 2)) * 32;
        var copyWords = (long)(tiling.BlockM + tiling.BlockN) * tiling.StageWords;
        // A warp's access that takes several bank passes costs the bandwidth of as many conflict-free ones.
        var passWords = (fragmentWords * tiling.FragmentPasses)
            + ((long)tiling.Threads * ((tiling.CopyWordsA * tiling.CopyPassesA) + (tiling.CopyWordsB * tiling.CopyPassesB)));
        var sharedBytes = (double)tiling.Blocks * stages * passWords * 4;
        var sharedMs = sharedBytes / (profile.Multiprocessors * SharedBytesPerClock * profile.ClockMhz * 1e6) * 1e3 * roundFactor;

        // C is stored once, through L2 to DRAM: for a short reduction it is most of the traffic.
        var outputBytes = (double)p.M * p.N * p.C.Type.Bytes();
        var l2Bytes = ((double)tiling.Blocks * (tiling.BlockM + tiling.BlockN) * p.K * operandBytes) + outputBytes;
        var l2Ms = l2Bytes / (profile.EffectiveL2BandwidthGBs * 1e9) * 1e3;

        var dramBytes = ((((double)p.M * p.K) + ((double)p.K * p.N)) * operandBytes) + outputBytes;
        var dramMs = dramBytes / (profile.DramBandwidthGBs * 1e9 * profile.DramEfficiency) * 1e3;

        var stageLatencyMs = (double)rounds * stages * profile.MemoryLatencyNs * 1e-6;
        var (latencyMs, copyWaitMs) = tiling.Pipelined ? (stageLatencyMs, 0.0) : (0.0, stageLatencyMs);
        var barrierMs = (double)tiling.BarriersPerStage * stages * rounds * profile.BarrierNs * 1e-6;
        var launchMs = profile.LaunchMicroseconds / 1e3;
        var wakes = ThreadWakesPerBlock(tiling, profile, stages);
        var threadSyncMs = rounds * Math.Max(1, resident) * wakes * profile.ThreadSyncNs * 1e-6;
        // Thread wakes are added on their own so that GPU estimates (no wakes) stay bit for bit what they were.
        var (largestMs, overlapMs) = CostModel.Bounds(profile, computeMs, sharedMs, l2Ms, dramMs, latencyMs);
        var total = largestMs + overlapMs + copyWaitMs + barrierMs + launchMs + threadSyncMs;
        return new TensorCoreBreakdown(
            total, computeMs, sharedMs, l2Ms, dramMs, latencyMs, overlapMs, copyWaitMs, barrierMs, threadSyncMs, launchMs, tiling.Pipelined,
            new ResidencyTerm(resident, resident * tiling.Threads, registers, tiling.SharedBytes, limiter),
            new WavesTerm(rounds, tiling.Blocks / ((double)rounds * slots), (int)Math.Min(profile.Multiprocessors, tiling.Blocks)),
            new TensorCoreTerm(flops, peakGflops, MmaSyncEfficiency, tiling.MmasPerWarpStage),
            new TensorCoreSharedTerm(fragmentWords, copyWords, passWords / (double)(fragmentWords + copyWords), sharedBytes),
            new L2ReuseTerm(dramBytes, l2Bytes, l2Bytes / Math.Max(1, dramBytes)),
            wakes, tiling.Blocks, stages);
    }

    /// <summary>Shuffles a warp makes for one MMA where there are no tensor cores (the kernel's emulation: 8 a j-step, 4 j-steps).</summary>
    public const int ShufflesPerEmulatedMma = 32;

    /// <summary>
    /// ILGPU's CPU accelerator runs each lane as an OS thread and emulates the MMA with warp shuffles:
    /// every thread of the block is woken at each block barrier (two a stage, one pipelined), at each shuffle (two warp
    /// barriers) and when the block ends, as <see cref="CostModel"/> charges the scalar kernels'
    /// barriers and shuffles. Without this term the cpu profile ranked tensor-core schedules of a
    /// 128³ bf16 GEMM first (3.5 ms each); they measured 14.3 s a run against 0.30 s for a scalar
    /// 32x32 tile, in the same minute on this machine (load average about 450 from other work).
    /// GPUs (<see cref="HardwareProfile.ThreadSyncNs"/> 0) have none of these wakes.
    /// </summary>
    private static double ThreadWakesPerBlock(TensorCoreTiling tiling, HardwareProfile profile, long stages)
    {
        if (profile.ThreadSyncNs == 0)
        {
            return 0;
        }
        var shuffles = (double)stages * tiling.MmasPerWarpStage * ShufflesPerEmulatedMma;
        return ((double)tiling.BarriersPerStage * stages + 2 * shuffles + 1) * tiling.Threads;
    }
}
