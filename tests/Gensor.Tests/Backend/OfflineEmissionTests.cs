using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>ILGPU's PTX and OpenCL back ends compile generated kernels with no device present.</summary>
public sealed class OfflineEmissionTests
{
    private static System.Reflection.MethodInfo GemmKernel(string schedule = "block=32x32 thread=4x4 reduce=8 shared=A,B")
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "PtxKernel");
        return RoslynKernelCompiler.Compile([source]).Single().Method!;
    }

    [Fact]
    public void Vector_width_4_gives_128_bit_global_and_shared_accesses()
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel("block=32x32 thread=4x4 reduce=8 shared=A,B vector=4"), "sm_90");

        Assert.Contains("ld.global.v4.f32", ptx);
        Assert.Contains("st.shared.v4.f32", ptx);
        // B's four operands of a thread sit side by side in shared memory.
        Assert.Contains("ld.shared.v4.f32", ptx);
    }

    [Fact]
    public void Padding_lengthens_every_shared_row_by_four_words_and_keeps_128_bit_access()
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel("block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 pad=4 prefetch=1"), "sm_90");

        // A's box is stored k-major like B's: 8 rows of 32 (+4) floats each.
        Assert.Equal(2, Count(ptx, $"[{8 * 36 * 4}]"));
        Assert.Contains("ld.global.v4.f32", ptx);
        Assert.Contains("st.shared.v4.f32", ptx);
    }

    [Fact]
    public void A_stage_read_from_shared_memory_ends_with_a_barrier_before_the_next_copy()
    {
        // One buffer: the next stage's copy overwrites what this stage reads, so the barrier at the end
        // of the loop must follow every shared load. ILGPU's O2 code placement moved that barrier up
        // next to the one after the copy, and an H200 gave results that differed run to run.
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=256,n=256,k=256");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=16x128 thread=4x4 vthread=1x2 reduce=8 shared=B vector=1")), "PtxKernel");
        var ptx = OfflineKernelCompiler.Ptx(RoslynKernelCompiler.Compile([source]).Single().Method!, "sm_90");

        var lines = ptx.Split('\n').Select(line => line.Trim()).ToArray();
        // The loop's back edge: a branch to a label above it.
        var backEdge = -1;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("bra", StringComparison.Ordinal)
                && Array.IndexOf(lines, lines[i].Split(' ', '\t')[^1].TrimEnd(';') + ":") is var label && label >= 0 && label < i)
            {
                backEdge = i;
            }
        }
        Assert.True(backEdge > 0, "the stage loop has no backward branch");
        var lastSharedLoad = Array.FindLastIndex(lines, backEdge, line => line.StartsWith("ld.shared", StringComparison.Ordinal));
        Assert.True(lastSharedLoad > 0, "the loop reads no shared memory");
        Assert.Contains(lines[lastSharedLoad..backEdge], line => line.StartsWith("bar.sync", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 pad=4 prefetch=1")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=8 split=4")]
    [InlineData("O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]", "b=1,f=16,y=8,x=8,c=8,r=3,s=3", "block=1x8x4x8 thread=1x2x2x1 reduce=4x3x3 shared=I,W")]
    // ResNet-50's stem: an unrolled 7x7 window read with bounds checks, on which ILGPU's structure lowering failed
    // when both address-space passes ran before the back end's.
    [InlineData("O[b,f,y,x] += I[b,c,y*2+r-3,x*2+s-3] * W[f,c,r,s]", "b=1,f=64,y=112,x=112,c=3,r=7,s=7", "block=1x16x16x4 thread=1x2x2x4 reduce=3x7x7")]
    public void Tensors_are_read_and_written_in_the_global_address_space(string compute, string shape, string schedule)
    {
        // ILGPU's O1 leaves kernel parameters generic (LD and ST in SASS, not LDG and STG; atomics
        // that test the address space first): GlobalKernelParameters makes them global pointers.
        var op = Operators.Parse(compute, shape);
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "GlobalKernel");
        var ptx = OfflineKernelCompiler.Ptx(RoslynKernelCompiler.Compile([source]).Single().Method!, "sm_90");

        Assert.Contains("ld.global.", ptx);
        Assert.Matches(@"\b(st|red|atom)(\.add)?\.global\.", ptx);
        Assert.DoesNotMatch(@"\b(ld|st|red|atom)(\.add)?(\.v[24])?\.(f32|b32|u32)", ptx);
    }

    [Fact]
    public void Vector_width_1_copies_element_by_element()
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel("block=32x32 thread=4x4 reduce=8 shared=A,B vector=1"), "sm_90");

        Assert.DoesNotContain("ld.global.v4.f32", ptx);
    }

    [Theory]
    [InlineData("sm_90")]
    [InlineData("sm_70")]
    public void Ptx_targets_the_requested_architecture(string architecture)
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel(), architecture);

        Assert.Contains($".target {architecture}", ptx);
        Assert.Contains("bar.sync", ptx);
    }

    [Fact]
    public void Register_tiling_gives_several_multiply_adds_per_shared_load()
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel(), "sm_90");

        // ILGPU writes a*b+c as mul.f32 and add.f32 without a rounding mode, which
        // ptxas contracts into one FFMA; a 4x4 thread tile loads 4+4 operands from
        // shared memory for 16 multiply-adds, at each of the 8 unrolled reduce points.
        var multiplies = Count(ptx, "mul.f32") + Count(ptx, "fma.rn.f32");
        Assert.Equal(8 * 16, multiplies);
        // A (stored k-major) and B give one 128-bit load each per point.
        Assert.Equal(8 * 2, Count(ptx, "ld.shared.v4.f32"));
        Assert.Equal(8 * 2, Count(ptx, "ld.shared."));
    }

    private static int Count(string text, string instruction) => text.Split(instruction).Length - 1;

    [Fact]
    public void OpenCl_source_is_a_kernel_function()
    {
        var source = OfflineKernelCompiler.OpenCl(GemmKernel());

        Assert.Contains("kernel void", source);
        Assert.Contains("barrier", source);
    }

    [Fact]
    public void An_unknown_architecture_is_bad_input()
    {
        var error = Assert.Throws<GensorException>(() => OfflineKernelCompiler.ParseArchitecture("sm_x"));

        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
    }
}
