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
    public static int BlocksPerMultiprocessor(int threads, int registersPerThread, long sharedBytes, HardwareProfile profile)
    {
        var warps = (threads + profile.WarpSize - 1) / profile.WarpSize;
        var roundedThreads = (long)warps * profile.WarpSize;
        var registers = (registersPerThread + RegisterAllocationUnit - 1) / RegisterAllocationUnit * RegisterAllocationUnit;
        var byThreads = profile.MaxThreadsPerMultiprocessor / Math.Max(1, roundedThreads);
        var byRegisters = profile.RegistersPerMultiprocessor / Math.Max(1, registers * roundedThreads);
        var byShared = sharedBytes > 0 ? profile.SharedMemoryPerMultiprocessor / sharedBytes : long.MaxValue;
        var blocks = Math.Min(Math.Min(profile.MaxBlocksPerMultiprocessor, byThreads), Math.Min(byRegisters, byShared));
        return (int)Math.Max(1, blocks);
    }
}
