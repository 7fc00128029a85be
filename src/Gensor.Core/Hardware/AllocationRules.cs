namespace Gensor.Hardware;

/// <summary>
/// How a multiprocessor hands out registers and shared memory to blocks: the
/// allocation units and reservations of NVIDIA's occupancy calculator
/// (<c>cuda_occupancy.h</c>: <c>cudaOccRegAllocationGranularity</c>,
/// <c>cudaOccSubPartitionsPerMultiprocessor</c>, <c>cudaOccSMemAllocationGranularity</c>,
/// and the device's <c>reservedSharedMemPerBlock</c>). They are fixed per compute
/// capability, the same on every board of an architecture, so they are looked up
/// by architecture rather than written into each profile.
/// </summary>
/// <param name="RegisterUnit">Registers are given to a warp in multiples of this many (256: 8 per thread).</param>
/// <param name="SubPartitions">
/// The register file is split between this many schedulers, and a warp's registers
/// come from one of them, so warps that fit the whole file may not fit its parts.
/// </param>
/// <param name="SharedMemoryUnit">Shared memory is given to a block in multiples of this many bytes.</param>
/// <param name="ReservedSharedMemoryPerBlock">Shared memory the system takes from every block (1 KB from sm_80 on).</param>
/// <param name="MaxRegistersPerBlock">The registers one block may hold in all.</param>
public sealed record AllocationRules(
    int RegisterUnit,
    int SubPartitions,
    int SharedMemoryUnit,
    int ReservedSharedMemoryPerBlock,
    int MaxRegistersPerBlock)
{
    /// <summary>
    /// The rules of <paramref name="architecture"/> (<c>sm_XY</c>), or null for an
    /// architecture that is not an NVIDIA GPU's (the CPU accelerator, a profile file's own).
    /// </summary>
    public static AllocationRules? For(string architecture)
    {
        if (!architecture.StartsWith("sm_", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(architecture.AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var capability)
            || capability < 30)
        {
            return null;
        }
        // sm_60 alone has two sub-partitions; Volta's shared memory is given in 256-byte units,
        // Ampere's and later ones' in 128-byte units with 1 KB reserved per block.
        return new AllocationRules(
            RegisterUnit: 256,
            SubPartitions: capability == 60 ? 2 : 4,
            SharedMemoryUnit: capability >= 80 ? 128 : 256,
            ReservedSharedMemoryPerBlock: capability >= 80 ? 1024 : 0,
            MaxRegistersPerBlock: 65_536);
    }
}
