using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU.Runtime.Cuda;

namespace Gensor.Backend.Runtime;

/// <summary>
/// Reads a kernel's attributes from the CUDA driver on a real CUDA device. ILGPU
/// 1.5.3 exposes the loaded function (<see cref="CudaKernel.FunctionPtr"/>) and the
/// driver's occupancy query (<see cref="CudaAPI.ComputeOccupancyMaxActiveBlocksPerMultiprocessor"/>)
/// but not <c>cuFuncGetAttribute</c>, so that one entry point is bound from the driver
/// library directly. This path needs a GPU and is kept apart from the offline tools,
/// whose figures are for the target profile's architecture rather than the device's.
/// </summary>
public static class CudaDriverAttributes
{
    // CUfunction_attribute values from cuda.h.
    private const int MaxThreadsPerBlock = 0;
    private const int SharedSizeBytes = 1;
    private const int LocalSizeBytes = 3;
    private const int NumRegs = 4;
    private const int BinaryVersion = 6;

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate int FuncGetAttribute(out int value, int attribute, IntPtr function);

    private static readonly Lazy<FuncGetAttribute?> _funcGetAttribute = new(Bind);

    /// <summary>
    /// The driver's attributes of <paramref name="kernel"/> loaded on <paramref name="device"/>,
    /// with its occupancy at <paramref name="groupSize"/> threads per block; null when the
    /// device is not a CUDA device or the driver's entry point cannot be found.
    /// </summary>
    public static DriverKernelAttributes? Read(KernelDevice device, MethodInfo kernel, int groupSize)
    {
        if (device.Accelerator is not CudaAccelerator accelerator || _funcGetAttribute.Value is not { } get)
        {
            return null;
        }
        accelerator.Bind();
        using var loaded = device.LoadKernel(kernel);
        var function = ((CudaKernel)loaded).FunctionPtr;
        int Attribute(int attribute) =>
            get(out var value, attribute, function) == 0 ? value : throw new InvalidOperationException($"cuFuncGetAttribute({attribute}) failed");
        int? resident = CudaAPI.CurrentAPI.ComputeOccupancyMaxActiveBlocksPerMultiprocessor(out var blocks, function, groupSize, IntPtr.Zero) == CudaError.CUDA_SUCCESS
            ? blocks
            : null;
        return new DriverKernelAttributes(device.Description, Attribute(NumRegs), Attribute(LocalSizeBytes), Attribute(SharedSizeBytes),
            Attribute(MaxThreadsPerBlock), Attribute(BinaryVersion), resident);
    }

    private static FuncGetAttribute? Bind()
    {
        string[] names = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "cuFuncGetAttribute", out var entry))
            {
                return Marshal.GetDelegateForFunctionPointer<FuncGetAttribute>(entry);
            }
        }
        return null;
    }
}
