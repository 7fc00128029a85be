namespace Gensor.Hardware;

/// <summary>
/// What construction needs to know about a GPU. A profile is data: a wrong
/// figure is fixed here or in a profile file, never by an <c>if</c> in the code.
/// Sizes are in bytes, bandwidth in GB/s, peak in GFLOP/s.
/// </summary>
public sealed record HardwareProfile(
    string Name,
    string Architecture,
    int Multiprocessors,
    int WarpSize,
    int MaxThreadsPerBlock,
    int MaxThreadsPerMultiprocessor,
    int MaxBlocksPerMultiprocessor,
    int RegistersPerMultiprocessor,
    int MaxRegistersPerThread,
    int SharedMemoryPerBlock,
    int SharedMemoryPerMultiprocessor,
    long L2Bytes,
    double DramBandwidthGBs,
    double PeakGflops,
    int SharedMemoryBanks,
    int TransactionBytes)
{
    /// <summary>Fields that were not read from a device but filled from a built-in profile.</summary>
    public IReadOnlyList<string> EstimatedFields { get; init; } = [];

    /// <summary>True for ILGPU's CPU accelerator, whose times say nothing about a GPU.</summary>
    public bool Simulated { get; init; }
}
