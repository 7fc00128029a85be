namespace Gensor.Hardware;

/// <summary>How many blocks of a kernel a multiprocessor holds at once (CUDA's occupancy calculation).</summary>
public static class Occupancy
{
    /// <summary>Registers are allocated per warp in units of this many per thread (256 per warp on sm_70 to sm_90).</summary>
    public const int RegisterAllocationUnit = 8;

    /// <summary>
    /// Resident blocks per multiprocessor, limited by threads, registers, shared
    /// memory and the block slots; at least 1 (a block that does not fit at all
    /// is legality's concern, not occupancy's).
    /// </summary>
    public static int BlocksPerMultiprocessor(int threads, int registersPerThread, long sharedBytes, HardwareProfile profile) =>
        Resident(threads, registersPerThread, sharedBytes, profile).Blocks;

    /// <summary><see cref="BlocksPerMultiprocessor"/> and what limits it: "threads", "registers", "shared memory" or "block slots".</summary>
    public static (int Blocks, string Limiter) Resident(int threads, int registersPerThread, long sharedBytes, HardwareProfile profile)
    {
        var warps = (threads + profile.WarpSize - 1) / profile.WarpSize;
        var roundedThreads = (long)warps * profile.WarpSize;
        var registers = ((long)registersPerThread + RegisterAllocationUnit - 1) / RegisterAllocationUnit * RegisterAllocationUnit;
        (long Blocks, string Limiter) tightest = (profile.MaxBlocksPerMultiprocessor, "block slots");
        Tighten(ref tightest, profile.MaxThreadsPerMultiprocessor / Math.Max(1, roundedThreads), "threads");
        Tighten(ref tightest, profile.RegistersPerMultiprocessor / Math.Max(1, registers * roundedThreads), "registers");
        Tighten(ref tightest, sharedBytes > 0 ? profile.SharedMemoryPerMultiprocessor / sharedBytes : long.MaxValue, "shared memory");
        return ((int)Math.Max(1, Math.Min(int.MaxValue, tightest.Blocks)), tightest.Limiter);
    }

    private static void Tighten(ref (long Blocks, string Limiter) tightest, long blocks, string limiter)
    {
        if (blocks < tightest.Blocks)
        {
            tightest = (blocks, limiter);
        }
    }
}
