using Gensor.Backend.Runtime;
using Gensor.Hardware;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Gensor.Backend.Runtime;

/// <summary>
/// The hardware profile of the device kernels run on: what the device reports,
/// and the rest filled from the closest built-in profile, with those fields
/// listed in <see cref="HardwareProfile.EstimatedFields"/>.
/// </summary>
public static class DeviceProfiles
{
    public static HardwareProfile Of(KernelDevice kernelDevice)
    {
        var device = kernelDevice.Accelerator.Device;
        var profile = device switch
        {
            CudaDevice cuda => OfCuda(cuda),
            _ when device.AcceleratorType == AcceleratorType.CPU => ProfileCatalog.Get("cpu"),
            _ => WithoutCudaFeatures(ProfileCatalog.Closest("sm_80")) with
            {
                Name = device.Name,
                EstimatedFields = ["architecture", "max_blocks_per_multiprocessor", "registers_per_multiprocessor", "max_registers_per_thread",
                    "shared_memory_per_multiprocessor", "l2_bytes", "dram_bandwidth_gbs", "peak_gflops", "shared_memory_banks", "transaction_bytes"],
            },
        };
        // What every ILGPU device reports about its groups overrides the base profile.
        return profile with
        {
            Multiprocessors = device.NumMultiprocessors,
            WarpSize = device.WarpSize,
            MaxThreadsPerBlock = device.MaxNumThreadsPerGroup,
            MaxThreadsPerMultiprocessor = device.MaxNumThreadsPerMultiprocessor,
            SharedMemoryPerBlock = device.MaxSharedMemoryPerGroup,
        };
    }

    /// <summary>
    /// <paramref name="profile"/> for ILGPU's OpenCL back end, which writes no sub-group shuffles, no
    /// tensor-core (mma) code and no cp.async: construction then chooses none of them.
    /// </summary>
    public static HardwareProfile WithoutCudaFeatures(HardwareProfile profile) =>
        profile with { WarpShuffles = false, AsyncCopyInstructions = false, TensorGflopsF16 = 0, TensorGflopsBF16 = 0, TensorGflopsTf32 = 0 };

    /// <summary>The closest built-in profile with what a CUDA device reports beyond the common limits.</summary>
    private static HardwareProfile OfCuda(CudaDevice cuda)
    {
        var arch = cuda.Architecture is { } a ? $"sm_{a.Major}{a.Minor}" : "sm_80";
        var closest = ProfileCatalog.Closest(arch);
        var bandwidth = cuda.MemoryClockRate > 0 && cuda.MemoryBusWidth > 0
            ? DramBandwidthGBs(cuda.MemoryClockRate, cuda.MemoryBusWidth)
            : closest.DramBandwidthGBs;
        return closest with
        {
            Name = cuda.Name,
            Architecture = arch,
            RegistersPerMultiprocessor = cuda.TotalNumRegistersPerMultiprocessor,
            SharedMemoryPerMultiprocessor = cuda.MaxSharedMemoryPerMultiprocessor,
            L2Bytes = cuda.L2CacheSize,
            DramBandwidthGBs = bandwidth,
            EstimatedFields = ["max_blocks_per_multiprocessor", "max_registers_per_thread", "peak_gflops", "shared_memory_banks", "transaction_bytes"],
        };
    }

    /// <summary>
    /// Peak DRAM bandwidth in GB/s from the memory clock as ILGPU reports it (MHz: it divides
    /// the driver's kHz by 1000) and the bus width in bits; the memory moves two words per clock.
    /// </summary>
    public static double DramBandwidthGBs(int memoryClockMHz, int busWidthBits) =>
        2.0 * memoryClockMHz * 1e6 * (busWidthBits / 8.0) / 1e9;
}
