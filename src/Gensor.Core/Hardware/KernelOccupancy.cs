
namespace Gensor.Hardware;

/// <summary>
/// How many blocks of a compiled kernel a multiprocessor holds at once, and why no more:
/// NVIDIA's occupancy calculation (<c>cudaOccMaxActiveBlocksPerMultiprocessor</c>
/// in <c>cuda_occupancy.h</c>) applied to the registers and shared memory ptxas
/// reports, the launch's group size and a hardware profile. Unlike the cost model's
/// <see cref="Occupancy"/>, which estimates from a schedule, it counts with the
/// hardware's allocation units (<see cref="AllocationRules"/>) and says which limit decides. Each <c>BlocksBy...</c>
/// is the limit one resource sets on its own (<see cref="int.MaxValue"/> when it sets
/// none); the smallest one wins.
/// </summary>
/// <param name="Profile">The hardware profile's name.</param>
/// <param name="GroupSize">Threads per block.</param>
/// <param name="GridSize">Blocks in the grid.</param>
/// <param name="Multiprocessors">The profile's multiprocessors.</param>
/// <param name="WarpsPerBlock">Warps a block takes: a block of 2 threads still takes a whole warp.</param>
/// <param name="BlocksByThreads">Blocks the multiprocessor's warp slots allow.</param>
/// <param name="BlocksByRegisters">Blocks its register file allows.</param>
/// <param name="BlocksBySharedMemory">Blocks its shared memory allows.</param>
/// <param name="BlocksBySlots">Blocks it can track at once.</param>
public sealed record KernelOccupancy(
    string Profile,
    int GroupSize,
    int GridSize,
    int Multiprocessors,
    int WarpsPerBlock,
    int BlocksByThreads,
    int BlocksByRegisters,
    int BlocksBySharedMemory,
    int BlocksBySlots)
{
    /// <summary>Blocks resident on one multiprocessor: the tightest of the four limits.</summary>
    public int ResidentBlocks => Math.Min(Math.Min(BlocksByThreads, BlocksByRegisters), Math.Min(BlocksBySharedMemory, BlocksBySlots));

    public int ResidentWarps => ResidentBlocks * WarpsPerBlock;

    /// <summary>Threads resident on one multiprocessor: resident blocks times the group size.</summary>
    public int ResidentThreads => ResidentBlocks * GroupSize;

    /// <summary>
    /// Which limit decides, named as in the JSON reports: <c>threads</c>,
    /// <c>registers</c>, <c>shared_memory</c> or <c>block_slots</c> (the first of equals, in that order).
    /// </summary>
    public string LimitedBy =>
        ResidentBlocks == BlocksByThreads ? "threads"
        : ResidentBlocks == BlocksByRegisters ? "registers"
        : ResidentBlocks == BlocksBySharedMemory ? "shared_memory"
        : "block_slots";

    /// <summary>The grid in waves: its blocks over what all multiprocessors hold at once. Null when no block fits.</summary>
    public double? Waves => ResidentBlocks == 0 ? null : (double)GridSize / ((long)ResidentBlocks * Multiprocessors);

    /// <summary>
    /// The occupancy of a kernel using <paramref name="registersPerThread"/> registers and
    /// <paramref name="sharedBytesPerBlock"/> bytes of shared memory (static and dynamic),
    /// launched as <paramref name="gridSize"/> blocks of <paramref name="groupSize"/> threads
    /// on <paramref name="profile"/>. Null for a profile that is not an NVIDIA GPU's.
    /// </summary>
    public static KernelOccupancy? Of(HardwareProfile profile, int groupSize, int gridSize, int registersPerThread, long sharedBytesPerBlock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(registersPerThread);
        ArgumentOutOfRangeException.ThrowIfNegative(sharedBytesPerBlock);
        if (AllocationRules.For(profile.Architecture) is not { } rules)
        {
            return null;
        }
        var warps = (groupSize + profile.WarpSize - 1) / profile.WarpSize;
        var byThreads = groupSize > profile.MaxThreadsPerBlock ? 0 : profile.MaxThreadsPerMultiprocessor / profile.WarpSize / warps;
        return new KernelOccupancy(profile.Name, groupSize, gridSize, profile.Multiprocessors, warps,
            byThreads,
            ByRegisters(profile, rules, warps, registersPerThread),
            BySharedMemory(profile, rules, sharedBytesPerBlock),
            profile.MaxBlocksPerMultiprocessor);
    }

    /// <summary>
    /// Registers go to warps in units of <see cref="AllocationRules.RegisterUnit"/>, and each
    /// warp's come from one sub-partition of the register file, so the warps that fit are
    /// counted per sub-partition. A block whose registers exceed the per-block limit, even
    /// with its warps rounded up to the sub-partitions as the hardware's launch check does,
    /// does not launch at all.
    /// </summary>
    private static int ByRegisters(HardwareProfile profile, AllocationRules rules, int warps, int registersPerThread)
    {
        var perWarp = RoundUp(registersPerThread * profile.WarpSize, rules.RegisterUnit);
        if (perWarp == 0)
        {
            return int.MaxValue;
        }
        var perBlock = (long)perWarp * warps;
        var assumedPerBlock = (long)perWarp * RoundUp(warps, rules.SubPartitions);
        if (registersPerThread > profile.MaxRegistersPerThread || perBlock > rules.MaxRegistersPerBlock || assumedPerBlock > rules.MaxRegistersPerBlock)
        {
            return 0;
        }
        var warpsPerSubPartition = profile.RegistersPerMultiprocessor / rules.SubPartitions / perWarp;
        return warpsPerSubPartition * rules.SubPartitions / warps;
    }

    /// <summary>Shared memory goes to blocks in units, after the system's reservation per block; the whole carve-out is assumed available.</summary>
    private static int BySharedMemory(HardwareProfile profile, AllocationRules rules, long sharedBytesPerBlock)
    {
        if (sharedBytesPerBlock > profile.SharedMemoryPerBlock)
        {
            return 0;
        }
        var perBlock = RoundUp(sharedBytesPerBlock + rules.ReservedSharedMemoryPerBlock, rules.SharedMemoryUnit);
        return perBlock == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, profile.SharedMemoryPerMultiprocessor / perBlock);
    }

    private static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;

    private static long RoundUp(long value, int unit) => (value + unit - 1) / unit * unit;
}
