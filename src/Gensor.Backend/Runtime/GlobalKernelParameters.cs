using ILGPU;
using ILGPU.Backends;
using ILGPU.IR;
using ILGPU.IR.Transformations;

namespace Gensor.Backend.Runtime;

/// <summary>
/// Compiles a kernel's tensor parameters as global memory, the one pass of ILGPU's O2 that
/// Gensor wants without the rest (<see cref="KernelDevice.KernelOptimization"/>): at O1 they stay
/// generic pointers, so every tensor access is a generic LD/ST in SASS where CUDA code has
/// LDG/STG. Every kernel parameter is a tensor that lives in device memory, so the
/// specialization is exact; the local pass after it removes the casts it leaves. It runs on the
/// kernel as the context optimized it, before the back end's own passes (O2 runs it among them).
/// Emitted launchers carry their own copy (<c>GlobalTensors</c>, LauncherWriter): they compile in the user's program.
/// </summary>
internal readonly struct GlobalKernelParameters : IBackendHook
{
    public void OptimizedKernelContext(IRContext kernelContext, Method kernelMethod)
    {
    }

    public void InitializedKernelContext(IRContext kernelContext, Method kernelMethod)
    {
        var builder = Transformer.CreateBuilder(TransformerConfiguration.Empty);
        builder.Add(new InferKernelAddressSpaces(MemoryAddressSpace.Global));
        builder.Add(new InferLocalAddressSpaces());
        kernelContext.Transform(builder.ToTransformer());
    }

    public void FinishedCodeGeneration(IRContext context, Method entryPoint)
    {
    }
}
