using System.Runtime.CompilerServices;
using Gensor.Backend.Emission;
using Gensor.Diagnostics;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Gensor.Backend.Runtime;

/// <summary>
/// An ILGPU context and the one accelerator kernels run on. Owns both; dispose
/// it when done.
/// </summary>
public sealed class KernelDevice : IDisposable
{
    /// <summary>
    /// The CPU accelerator's shape. ILGPU's default CPU device allows only 16
    /// threads per group; GPU-shaped blocks need a 32-wide warp and up to 256
    /// threads (8 warps), on 2 simulated multiprocessors.
    /// </summary>
    public static CPUDevice SimulatedGpu => new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 2);

    private KernelDevice(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    /// <summary>Times on the CPU accelerator simulate GPU threads and say nothing about a GPU.</summary>
    public bool Simulated => Accelerator.AcceleratorType == AcceleratorType.CPU;

    /// <summary>
    /// Compiles and loads <paramref name="kernel"/>: on a CUDA device with its tensor parameters in
    /// global memory (<see cref="GlobalKernelParameters"/>), as the emitted PTX has them, so what runs
    /// is what ptxas was shown; elsewhere as ILGPU loads any kernel.
    /// </summary>
    public Kernel LoadKernel(System.Reflection.MethodInfo kernel)
    {
        if (Accelerator is not CudaAccelerator cuda)
        {
            return Accelerator.LoadKernel(kernel);
        }
        var compiled = (PTXCompiledKernel)cuda.Backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), new KernelSpecialization(), new GlobalKernelParameters());
        return cuda.LoadKernel(WithRegisters(compiled));
    }

    /// <summary>
    /// <paramref name="compiled"/> with its PTX's inline-assembly slots in registers (<see cref="PtxLocalPromotion"/>):
    /// the PTX the driver compiles is the PTX emitted and inspected.
    /// </summary>
    internal static PTXCompiledKernel WithRegisters(PTXCompiledKernel compiled)
    {
        var promoted = PtxLocalPromotion.Promote(compiled.PTXAssembly);
        return ReferenceEquals(promoted, compiled.PTXAssembly) ? compiled : NewPtxKernel(compiled.Context, EntryPointOf(compiled), compiled.Info, promoted);
    }

    // ILGPU 1.5.3 makes a compiled kernel of PTX text only internally; these reach its constructor and entry point.
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern PTXCompiledKernel NewPtxKernel(Context context, EntryPoint entryPoint, CompiledKernel.KernelInfo? info, string ptxAssembly);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_EntryPoint")]
    private static extern EntryPoint EntryPointOf(CompiledKernel kernel);

    /// <summary>A short description such as "cuda: NVIDIA H100 80GB HBM3".</summary>
    public string Description => $"{KindName(Accelerator.AcceleratorType)}: {Accelerator.Name}";

    public static string KindName(AcceleratorType type) => type switch
    {
        AcceleratorType.Cuda => "cuda",
        AcceleratorType.OpenCL => "opencl",
        AcceleratorType.CPU => "cpu",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>Opens the accelerator <paramref name="kind"/> asks for.</summary>
    /// <exception cref="GensorException">No such accelerator is present (bad input: exit code 2).</exception>
    public static KernelDevice Open(DeviceKind kind)
    {
        var context = CreateContext();
        try
        {
            var device = Choose(context, kind) ?? throw GensorException.BadInput(kind switch
            {
                DeviceKind.Cuda => "--device cuda: no CUDA device is present",
                DeviceKind.OpenCL => "--device opencl: no OpenCL device that ILGPU supports is present",
                _ => "no accelerator is available",
            });
            return new KernelDevice(context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Every device ILGPU sees, with what it reports, for <c>gensor devices</c>.</summary>
    public static IReadOnlyList<DeviceDescription> List()
    {
        using var context = CreateContext();
        return context.Devices.Select(DeviceDescription.Of).ToArray();
    }

    /// <summary>
    /// ILGPU's optimization level for every kernel, run or emitted. O2's aggressive code placement
    /// reorders a block's shared-memory loads and barriers: in a staged loop it put the barrier that
    /// ends a stage next to the one after the copy, so the next copy overwrote shared memory other
    /// warps still read (an H200 gave results that changed from run to run; the CPU accelerator runs
    /// the .NET code and cannot show it). O1 keeps the order; its kernel parameters stay generic
    /// pointers (LD, ST in SASS rather than LDG, STG), which <see cref="GlobalKernelParameters"/> mends.
    /// </summary>
    public const OptimizationLevel KernelOptimization = OptimizationLevel.O1;

    private static Context CreateContext() =>
        Context.Create(builder => builder
            .Cuda()
            .OpenCL()
            .CPU(SimulatedGpu)
            .EnableAlgorithms()
            .Profiling()
            .Optimize(KernelOptimization));

    private static Device? Choose(Context context, DeviceKind kind)
    {
        Device? First(AcceleratorType type) => context.Devices.FirstOrDefault(d => d.AcceleratorType == type);
        return kind switch
        {
            DeviceKind.Cuda => First(AcceleratorType.Cuda),
            DeviceKind.OpenCL => First(AcceleratorType.OpenCL),
            DeviceKind.Cpu => First(AcceleratorType.CPU),
            _ => First(AcceleratorType.Cuda) ?? First(AcceleratorType.OpenCL) ?? First(AcceleratorType.CPU),
        };
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
