namespace Gensor.Backend.Runtime;

/// <summary>Which ILGPU accelerator to run kernels on (<c>--device</c>).</summary>
public enum DeviceKind
{
    /// <summary>CUDA when present, else OpenCL when ILGPU accepts the device, else the CPU accelerator.</summary>
    Auto,
    Cuda,
    OpenCL,
    Cpu,
}
