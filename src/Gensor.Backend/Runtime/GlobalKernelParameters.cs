using ILGPU;
using ILGPU.Backends;
using ILGPU.IR;
using ILGPU.IR.Transformations;

namespace Gensor.Backend.Runtime;

/// <summary>
/// Compiles a kernel's tensor parameters as global memory, the one pass of ILGPU's O2 that
/// Gensor wants without the rest (<see cref="KernelDevice.KernelOptimization"/>): at O1 they stay
/// generic pointers, so every tensor access is a generic LD/ST in SASS where CUDA code has
/// LDG/STG. Every view parameter of a kernel is a tensor that lives in device memory, so the
/// specialization is exact (the 64-bit addresses some kernels take besides are integers, which it leaves). As in O2, the kernel pass runs before the back end lowers structures
/// and the local pass, which removes the casts to generic pointers it leaves, after: both at
/// once before the back end's passes made ILGPU's structure lowering fail on the batch-1
/// ResNet-50 stem (an unrolled 7x7 window with bounds checks).
/// Emitted launchers carry their own copy (<c>GlobalTensors</c>, LauncherWriter): they compile in the user's program; LauncherTests hold it to the same PTX.
/// </summary>
internal readonly struct GlobalKernelParameters : IBackendHook
{
    public void InitializedKernelContext(IRContext kernelContext, Method kernelMethod) =>
        kernelContext.Transform(Transformer.Create(TransformerConfiguration.Empty, new InferKernelAddressSpaces(MemoryAddressSpace.Global)));

    public void OptimizedKernelContext(IRContext kernelContext, Method kernelMethod) =>
        kernelContext.Transform(Transformer.Create(TransformerConfiguration.Empty, new InferLocalAddressSpaces()));

    public void FinishedCodeGeneration(IRContext context, Method entryPoint)
    {
    }
}
