namespace Gensor.Backend.Runtime;

/// <summary>
/// What the CUDA driver says about a kernel it loaded (<c>cuFuncGetAttribute</c>),
/// compiled by the driver for the device's own architecture. Triton reads registers
/// and local memory the same way. Absent without a CUDA device.
/// </summary>
/// <param name="Device">The device that loaded it.</param>
/// <param name="Registers">Registers per thread (<c>CU_FUNC_ATTRIBUTE_NUM_REGS</c>).</param>
/// <param name="LocalBytesPerThread">Local memory per thread, spills and stack (<c>LOCAL_SIZE_BYTES</c>).</param>
/// <param name="StaticSharedBytes">Static shared memory per block (<c>SHARED_SIZE_BYTES</c>).</param>
/// <param name="MaxThreadsPerBlock">The largest block it can be launched with (<c>MAX_THREADS_PER_BLOCK</c>).</param>
/// <param name="BinaryVersion">The architecture of the code the driver loaded, e.g. 90 (<c>BINARY_VERSION</c>).</param>
/// <param name="ResidentBlocksPerMultiprocessor">The driver's occupancy for the launch's group size (<c>cuOccupancyMaxActiveBlocksPerMultiprocessor</c>).</param>
public sealed record DriverKernelAttributes(
    string Device,
    int Registers,
    int LocalBytesPerThread,
    int StaticSharedBytes,
    int MaxThreadsPerBlock,
    int BinaryVersion,
    int? ResidentBlocksPerMultiprocessor);
