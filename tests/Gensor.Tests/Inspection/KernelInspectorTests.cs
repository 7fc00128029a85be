using System.Reflection;
using System.Text.RegularExpressions;
using Gensor.Backend.Compilation;
using Gensor.Backend.Inspection;
using Gensor.Backend.Lowering;
using Gensor.Feedback;
using Gensor.Hardware;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Inspection;

/// <summary>A generated kernel read back through ptxas and cuobjdump, and the compiler-feedback API over it.</summary>
public sealed class KernelInspectorTests
{
    private static readonly Operator Gemm = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");

    private const string Staged = "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4";

    private static KernelSource Source(string schedule = Staged) =>
        CSharpKernelGenerator.Generate(new EtirState(Gemm, Schedule.Parse(schedule)), "InspectedKernel");

    public static MethodInfo GemmKernel() => RoslynKernelCompiler.Compile([Source()]).Single().Method!;

    [Fact]
    public void A_staged_gemm_reads_back_with_its_shared_memory_vector_loads_and_occupancy()
    {
        var tools = InstalledTools.Require();
        var source = Source();

        var r = KernelInspector.Inspect(tools, source, BuiltInProfiles.H100).Resources;

        Assert.Equal("sm_90", r.Architecture);
        Assert.Equal(source.Launch.SharedMemoryBytes, r.StaticSharedMemoryBytes);
        Assert.False(r.Spills);
        // B's four operands of a thread are one 128-bit shared load; the copies are 128-bit global loads.
        var mix = Assert.IsType<InstructionMix>(r.Instructions);
        Assert.True(mix.Lds128 > 0 && mix.Ldg128 > 0, $"LDS.128 {mix.Lds128}, LDG.128 {mix.Ldg128}");
        // A 4x4 thread tile and a reduce step of 8, unrolled: 128 multiply-adds, fused by ptxas.
        Assert.True(mix.Ffma >= 16, $"{mix.Ffma} FFMA");
        Assert.Equal(KernelOccupancy.Of(BuiltInProfiles.H100, source.Launch.GroupSize, source.Launch.GridSize, r.Registers, r.StaticSharedMemoryBytes), r.Occupancy);
        Assert.True(r.Timings.PtxMs > 0 && r.Timings.AssembleMs > 0 && r.Timings.DisassembleMs > 0);
    }

    [Fact]
    public void A_padded_convolution_loads_its_input_at_constant_offsets_from_one_address()
    {
        // Issue 9's depthwise convolution reads I straight from global memory, every load guarded (the
        // padding). Indexed from the whole tensor, each of its 45 loads widened its own 32-bit index:
        // 23 IMAD.WIDE (and 46 IMAD for 36 FFMA). Through a window, ptxas folds the constants: 6.
        // Each distinct value is loaded once (LoadReuse): 18 of I's 36 operands and W's 9.
        var tools = InstalledTools.Require();
        var op = Operators.Parse("O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]", "n=1,c=512,y=14,x=14,r=3,s=3");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=1x1x16x16 thread=1x1x4x1 reduce=3x3")), "DepthwiseKernel");

        var sass = KernelInspector.Inspect(tools, source, BuiltInProfiles.H100).Sass;

        var loads = Regex.Count(sass, @"\bLDG?\.E\b");
        var widened = Regex.Count(sass, @"\bIMAD\.WIDE\b");
        Assert.Equal(27, loads);
        Assert.True(widened * 4 <= loads, $"{widened} IMAD.WIDE for {loads} loads");
    }

    [Theory]
    // B unstaged, four consecutive columns per thread: loads and stores through windows of 128-bit vectors.
    [InlineData("block=32x32 thread=4x4 reduce=8 shared=A vector=4", 4)]
    // Two virtual threads of two columns: 64-bit.
    [InlineData("block=32x32 thread=4x4 vthread=1x2 reduce=8 shared=A vector=4", 2)]
    public void Windows_keep_the_vector_width_of_their_loads_and_stores(string schedule, int width)
    {
        // ILGPU splits a vector access into scalar ones unless it can prove the alignment, which a window
        // cut from the elements loses: the window must be cut from the vector view.
        var tools = InstalledTools.Require();

        var sass = KernelInspector.Inspect(tools, Source(schedule), BuiltInProfiles.H100).Sass;

        var bits = width * 32;
        // Generic LD and ST: kernel parameters are not put in the global address space at ILGPU's O1.
        var wide = (Regex.Count(sass, $@"\bLDG?\.E\.{bits}\b"), Regex.Count(sass, $@"\bSTG?\.E\.{bits}\b"));
        // Per reduce point a thread's 4 columns of B are one 128-bit load or two 64-bit ones (8 points), and A's
        // copy is one more 128-bit load; 16 outputs are 4 or 8 stores.
        Assert.Equal((8 * 4 / width + (width == 4 ? 1 : 0), 16 / width), wide);
    }

    [Fact]
    public void The_sass_text_is_headed_by_how_it_was_made_and_parses_to_the_same_mix()
    {
        var tools = InstalledTools.Require();

        var inspection = KernelInspector.Inspect(tools, Source(), BuiltInProfiles.V100);

        Assert.StartsWith($"// Gensor: SASS of Kernel_Kernel for sm_70, from ptxas {tools.Release.ToString(2)}", inspection.Sass);
        Assert.Equal(inspection.Resources.Instructions!.Total, SassListing.Parse(inspection.Sass).Single().Mix().Total);
    }

    [Fact]
    public void Ptx_that_ptxas_refuses_is_an_error_in_ptxas_words()
    {
        var tools = InstalledTools.Require();
        var launch = Source().Launch;

        var error = Assert.Throws<InvalidOperationException>(() =>
            KernelInspector.Inspect(tools, ".version 7.8\n.target sm_90\n.address_size 64\n.visible .entry k()\n{\n\tnot_an_instruction;\n}\n", BuiltInProfiles.H100, launch));

        Assert.Contains("ptxas", error.Message);
        Assert.Contains("kernel.ptx", error.Message);
    }

    [Fact]
    public void Compiler_feedback_answers_each_schedule_in_order()
    {
        var feedback = new NvidiaCompilerFeedback(InstalledTools.Require());
        Schedule[] schedules = [Schedule.Parse(Staged), Schedule.Parse("block=16x16 thread=1x1 reduce=8")];

        var results = feedback.Inspect(Gemm, schedules, BuiltInProfiles.A100);

        Assert.Equal(schedules, results.Select(r => r.Schedule));
        Assert.All(results, r => Assert.True(r.Resources is { Architecture: "sm_80", Registers: > 0 }, r.Error));
        Assert.Equal(256, results[1].Resources!.Occupancy!.GroupSize);
        Assert.All(results, r => Assert.True(r.Milliseconds > 0));
    }

    [Fact]
    public void Compiler_feedback_for_a_profile_that_is_not_a_gpus_gives_reasons_not_figures()
    {
        var feedback = new NvidiaCompilerFeedback(InstalledTools.Require());

        var result = feedback.Inspect(Gemm, [Schedule.Parse(Staged)], BuiltInProfiles.Cpu).Single();

        Assert.Null(result.Resources);
        Assert.Contains("not an NVIDIA GPU profile", result.Error);
    }
}
