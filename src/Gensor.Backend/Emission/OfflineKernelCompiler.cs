using System.Reflection;
using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Gensor.Backend.Emission;

/// <summary>
/// Compiles a kernel method to PTX or OpenCL C with ILGPU's back ends and no
/// device present, so kernels can be emitted for a GPU that is not in the machine.
/// </summary>
public static class OfflineKernelCompiler
{
    /// <summary>PTX for <paramref name="architecture"/> (e.g. <c>sm_90</c>).</summary>
    public static string Ptx(MethodInfo kernel, string architecture) => Ptx(kernel, architecture, new GlobalKernelParameters());

    /// <summary>
    /// PTX compiled with <paramref name="hook"/>'s passes: gensor's own (<see cref="GlobalKernelParameters"/>), or
    /// the copy an emitted launcher carries, which the tests hold to the same PTX.
    /// </summary>
    internal static string Ptx<THook>(MethodInfo kernel, string architecture, THook hook) where THook : struct, IBackendHook
    {
        var arch = ParseArchitecture(architecture);
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(KernelDevice.KernelOptimization));
        // PTX ISA 8.0 (CUDA 12.0) covers every architecture up to sm_90; newer ones need a newer ISA.
        var isa = arch.Major >= 10 ? CudaInstructionSet.ISA_88 : CudaInstructionSet.ISA_80;
        using var backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch, isa, nvvmAPI: null);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), new KernelSpecialization(), hook);
        return Retarget(PtxLocalPromotion.Promote(compiled.PTXAssembly), arch);
    }

    /// <summary>
    /// ILGPU 1.5 writes at most <c>.target sm_80</c>, whatever architecture it is
    /// given, because its code uses nothing newer. A user who emits for sm_90
    /// expects the directive to say so, and PTX ISA 8.0 accepts sm_86 to sm_90,
    /// so the directive is rewritten (and the rewrite noted in the file).
    /// </summary>
    private static string Retarget(string ptx, CudaArchitecture arch)
    {
        var wanted = $"sm_{arch.Major}{arch.Minor}";
        var lines = ptx.Split('\n');
        var index = Array.FindIndex(lines, line => line.StartsWith(".target ", StringComparison.Ordinal));
        if (index < 0 || lines[index].Trim() == $".target {wanted}")
        {
            return ptx;
        }
        var written = lines[index].Trim();
        lines[index] = $"// Gensor: ILGPU wrote '{written}'; the code uses no newer feature, so it is retargeted to {wanted}.\n.target {wanted}";
        return string.Join('\n', lines);
    }

    /// <summary>OpenCL C 2.0 source of the kernel, as ILGPU's OpenCL back end writes it.</summary>
    public static string OpenCl(MethodInfo kernel)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(KernelDevice.KernelOptimization));
        // Only sub-groups (cl_khr_subgroups, core in OpenCL 2.1): kernels whose reduce threads
        // combine by warp shuffles need them; the others compile to source that uses none.
        var capabilities = new CLCapabilityContext(float16: false, float64: false, genericAddressSpace: false, int64_Atomics: false, subGroups: true);
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), new KernelSpecialization());
        return compiled.Source;
    }

    /// <summary>Reads <c>sm_90</c> (or <c>90</c>) as ILGPU's architecture.</summary>
    public static CudaArchitecture ParseArchitecture(string architecture)
    {
        var digits = architecture.StartsWith("sm_", StringComparison.OrdinalIgnoreCase) ? architecture[3..] : architecture;
        // sm_XY is major X (one or two digits), minor Y (the last digit).
        if (digits.Length is >= 2 and <= 3 && digits.All(char.IsAsciiDigit))
        {
            var major = int.Parse(digits[..^1], System.Globalization.CultureInfo.InvariantCulture);
            var minor = digits[^1] - '0';
            if (major >= 3)
            {
                return new CudaArchitecture(major, minor);
            }
        }
        throw GensorException.BadInput($"unknown CUDA architecture '{architecture}' (expected e.g. sm_70, sm_80, sm_90)");
    }
}
