using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Gensor.Backend.Runtime;

/// <summary>What an ILGPU device reports about itself; for the CPU accelerator, the memory is the host's.</summary>
public sealed record DeviceDescription(
    string Kind,
    string Name,
    int Multiprocessors,
    int WarpSize,
    int MaxThreadsPerGroup,
    int MaxSharedMemoryPerGroup,
    long MemoryBytes,
    string? Architecture)
{
    public static DeviceDescription Of(Device device) => new(
        KernelDevice.KindName(device.AcceleratorType),
        device.Name,
        device.NumMultiprocessors,
        device.WarpSize,
        device.MaxNumThreadsPerGroup,
        device.MaxSharedMemoryPerGroup,
        // ILGPU's CPU device reports long.MaxValue: its memory is the host's, as much as this process may use.
        device.AcceleratorType == AcceleratorType.CPU ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.MemorySize,
        device is CudaDevice cuda && cuda.Architecture is { } arch ? arch.ToString() : null);
}
