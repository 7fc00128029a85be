using System.Reflection;
using Gensor.Analysis;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Gensor.Tests.Backend;

/// <summary>
/// The rewrite of ILGPU's inline-assembly operand slots into registers (<see cref="PtxLocalPromotion"/>): what
/// it promotes, and what it must leave alone because promoting it could change what the code computes.
/// </summary>
public sealed class PtxLocalPromotionTests
{
    /// <summary>
    /// A function with the slots <paramref name="declarations"/> and the body <paramref name="body"/>, as ILGPU writes
    /// them, and a cp.async (without one, PTX is left as it is).
    /// </summary>
    private static string Function(string declarations, string body, bool copiesAsync = true) =>
        ".version 7.8\n.target sm_90\n.visible .entry Kernel(\n\t.param .u64 p\n)\n{\n" + declarations + "\n" + body + "\n" +
        (copiesAsync ? "\tcp.async.cg.shared.global [%r9], [%rd99], 16;\n\tcp.async.wait_all;\n" : "") + "\tret;\n}\n";

    [Fact]
    public void A_slot_stored_and_loaded_whole_becomes_a_register_of_its_type()
    {
        var ptx = Function(
            "\t.local .align 4 .b8 __local_depot0[4];\n\t.local .align 8 .b8 __local_depot1[8];",
            "\tmov.b64\t%rd1, __local_depot0;\n\tmov.b64\t%rd2, __local_depot1;\n" +
            "\tst.local.f32\t[%rd1], 0f00000000;\n\tst.local.f32\t[%rd1], %f3;\n\tld.local.f32\t%f4, [%rd1];\n" +
            "\tst.local.b64\t[%rd2], %rd7;\n\tld.local.b64\t%rd8, [%rd2];\n\tcp.async.cg.shared.global [%r1], [%rd8], 16;");

        var promoted = PtxLocalPromotion.Promote(ptx);

        Assert.DoesNotContain(".local", promoted);
        Assert.DoesNotContain("__local_depot", promoted);
        Assert.Contains("\t.reg .f32 %gensor_depot0;", promoted);
        Assert.Contains("\t.reg .b64 %gensor_depot1;", promoted);
        Assert.Contains("\tmov.f32\t%gensor_depot0, 0f00000000;", promoted);
        Assert.Contains("\tmov.f32\t%f4, %gensor_depot0;", promoted);
        Assert.Contains("\tmov.b64\t%rd8, %gensor_depot1;", promoted);
        Assert.Contains("cp.async.cg.shared.global [%r1], [%rd8], 16;", promoted);
    }

    [Theory]
    // The address goes into arithmetic: the slot is memory someone may index.
    [InlineData("\tadd.s64\t%rd3, %rd1, 4;")]
    // Half of the slot, or the slot under another type's width.
    [InlineData("\tld.local.b16\t%rs1, [%rd1];")]
    [InlineData("\tst.local.b64\t[%rd1], %rd9;")]
    // The same slot under two types of its width: a register has one.
    [InlineData("\tst.local.b32\t[%rd1], %r5;")]
    // The address is stored, or the slot's address taken a second time.
    [InlineData("\tst.local.b64\t[%rd1], %rd1;")]
    [InlineData("\tmov.b64\t%rd5, __local_depot0;")]
    // A vector access.
    [InlineData("\tld.local.v2.f32\t{%f1, %f2}, [%rd1];")]
    public void A_slot_used_any_other_way_is_left_in_local_memory(string use)
    {
        var ptx = Function("\t.local .align 4 .b8 __local_depot0[4];",
            "\tmov.b64\t%rd1, __local_depot0;\n\tst.local.f32\t[%rd1], %f3;\n\tld.local.f32\t%f4, [%rd1];\n" + use);

        Assert.Same(ptx, PtxLocalPromotion.Promote(ptx));
    }

    [Fact]
    public void A_register_named_like_a_longer_one_is_not_mistaken_for_it()
    {
        // %rd1 is the slot's address; %rd12 is another register, whose arithmetic must not spoil the slot.
        var ptx = Function("\t.local .align 4 .b8 __local_depot0[4];",
            "\tmov.b64\t%rd1, __local_depot0;\n\tst.local.b32\t[%rd1], %r3;\n\tld.local.b32\t%r4, [%rd1];\n\tadd.s64\t%rd12, %rd12, 4;");

        Assert.Contains("mov.b32\t%r4, %gensor_depot0;", PtxLocalPromotion.Promote(ptx));
    }

    [Fact]
    public void A_compiled_cuda_kernel_is_rebuilt_around_the_promoted_ptx_by_gensor_and_by_the_launcher()
    {
        // KernelDevice and emitted launchers hand the driver a compiled kernel ILGPU makes only internally (by an
        // accessor, by reflection): no CUDA device here, so both are checked on ILGPU's PTX back end with none.
        var state = new EtirState(Operators.Parse(Operators.Gemm, "m=64,n=64,k=32", null, "f16"),
            Schedule.Parse("block=32x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k16 buffers=2 prefetch=1"));
        var source = CSharpKernelGenerator.Generate(state, "HgemmKernel");
        var method = RoslynKernelCompiler.Compile([source]).Single().Method!;
        var launcher = CSharpProgram.Compile(executable: false, Gensor.Backend.Launch.LauncherWriter.KernelFile(source, new Gensor.Backend.Launch.LauncherName("Gensor.Kernels", "Hgemm", "Launch")))
            .GetType("Gensor.Kernels.Hgemm")!.GetMethod("WithRegisters", BindingFlags.NonPublic | BindingFlags.Static)!;
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(KernelDevice.KernelOptimization));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, nvvmAPI: null);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), new KernelSpecialization(), new GlobalKernelParameters());
        Assert.Contains(".local", compiled.PTXAssembly);

        var byGensor = KernelDevice.WithRegisters(compiled);
        var byLauncher = (PTXCompiledKernel)launcher.Invoke(null, [compiled])!;

        foreach (var rebuilt in new[] { byGensor, byLauncher })
        {
            Assert.Equal(PtxLocalPromotion.Promote(compiled.PTXAssembly), rebuilt.PTXAssembly);
            Assert.DoesNotContain(".local", rebuilt.PTXAssembly);
            Assert.Equal((compiled.Name, compiled.NumParameters, compiled.Info), (rebuilt.Name, rebuilt.NumParameters, rebuilt.Info));
            Assert.Same(compiled.Context, rebuilt.Context);
        }
    }

    [Fact]
    public void Ptx_without_cp_async_is_left_to_ptxas()
    {
        var ptx = Function("\t.local .align 4 .b8 __local_depot0[4];",
            "\tmov.b64\t%rd1, __local_depot0;\n\tst.local.b32\t[%rd1], %r3;\n\tld.local.b32\t%r4, [%rd1];", copiesAsync: false);

        Assert.Same(ptx, PtxLocalPromotion.Promote(ptx));
        Assert.Contains("mov.b32\t%r4, %gensor_depot0;", PtxLocalPromotion.Promote(ptx.Replace("\tret;", "\tcp.async.wait_all;\n\tret;", StringComparison.Ordinal)));
    }

    [Fact]
    public void Ptx_without_slots_is_returned_as_it_is()
    {
        var ptx = Function("", "\tld.global.f32\t%f1, [%rd1];");

        Assert.Same(ptx, PtxLocalPromotion.Promote(ptx));
    }
}
