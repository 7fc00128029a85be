using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.TensorCores;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Tensor-core kernels: the m16n8k16 fragment layout, and kernels that run the
/// MMA's emulation on the CPU accelerator with the fragments the GPU path loads.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class TensorCoreKernelTests(CpuDeviceFixture fixture)
{
    private const string OneBlock = "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k16";

    private static Operator Gemm(string dtype, string? outputType = null, string shape = "m=32,n=16,k=32") =>
        OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", shape, "mma", null) with
        {
            Dtype = dtype,
            Dtypes = outputType is null ? null : new Dictionary<string, string> { ["C"] = outputType },
        });

    [Fact]
    public void Each_element_of_A_is_held_by_exactly_one_lane_register_and_half()
    {
        var held = new HashSet<(int, int)>();
        for (var lane = 0; lane < 32; lane++)
        {
            for (var register = 0; register < 4; register++)
            {
                for (var half = 0; half < 2; half++)
                {
                    var (row, k) = MmaFragmentLayout.A(lane, register, half);
                    Assert.True(held.Add((row, k)));
                    Assert.Equal((lane, register, half), MmaFragmentLayout.HolderOfA(row, k));
                }
            }
        }
        Assert.Equal(16 * 16, held.Count);
    }

    [Fact]
    public void Each_element_of_B_is_held_by_exactly_one_lane_register_and_half()
    {
        var held = new HashSet<(int, int)>();
        for (var lane = 0; lane < 32; lane++)
        {
            for (var register = 0; register < 2; register++)
            {
                for (var half = 0; half < 2; half++)
                {
                    var (k, column) = MmaFragmentLayout.B(lane, register, half);
                    Assert.True(held.Add((k, column)));
                    Assert.Equal((lane, register, half), MmaFragmentLayout.HolderOfB(k, column));
                }
            }
        }
        Assert.Equal(16 * 8, held.Count);
    }

    [Fact]
    public void The_layout_is_the_ptx_isa_table()
    {
        // PTX ISA, mma.m16n8k16 fragments: lane 5 is group 1, thread 1 of its group.
        Assert.Equal((1, 2), MmaFragmentLayout.A(5, 0, 0));
        Assert.Equal((9, 3), MmaFragmentLayout.A(5, 1, 1));
        Assert.Equal((1, 10), MmaFragmentLayout.A(5, 2, 0));
        Assert.Equal((9, 11), MmaFragmentLayout.A(5, 3, 1));
        Assert.Equal((2, 1), MmaFragmentLayout.B(5, 0, 0));
        Assert.Equal((11, 1), MmaFragmentLayout.B(5, 1, 1));
        Assert.Equal((1, 3), MmaFragmentLayout.C(5, 1));
        Assert.Equal((9, 2), MmaFragmentLayout.C(5, 2));
    }

    [Theory]
    [InlineData("f16", null)]
    [InlineData("bf16", null)]
    [InlineData("f16", "f32")]
    [InlineData("bf16", "f32")]
    public void Kernel_matches_the_reference_through_the_emulated_mma(string dtype, string? outputType)
    {
        var op = Gemm(dtype, outputType);
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(OneBlock)), "MmaKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 5);
        var measurement = runner.Run(compiled, CpuDeviceFixture.Once);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Each shape gives two stages and two blocks (one block where the block spans n): the CPU accelerator's
    // warp shuffles, which emulate ldmatrix and the MMA, cost it milliseconds each, and more of either adds no case.
    // Two warps a block along n, each of four B tiles: B's rows of 32 words, 2 ldmatrix.trans a k-step.
    [InlineData("f16", "block=32x64 thread=16x32 reduce=32 shared=A,B mma=m16n8k16", "m=32,n=128,k=64")]
    // Rows of B of 32 words copied by 64 threads (a thread's words in one row), of A of 8 words spread over 8 rows.
    [InlineData("bf16", "block=16x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k16", "m=16,n=128,k=32")]
    // One B tile a warp (ldmatrix.x2.trans), rows of B of 8 words spread; and of 4 words, unpadded.
    [InlineData("f16", "block=32x16 thread=16x8 reduce=16 shared=A,B mma=m16n8k16", "m=32,n=32,k=32")]
    [InlineData("bf16", "block=32x8 thread=16x8 reduce=16 shared=A,B mma=m16n8k16", "m=32,n=16,k=32")]
    // TF32's B, read a word a lane: rows of 64 words padded to 72, and of 16 padded to 24 with the copy's rows spread.
    [InlineData("f32", "block=32x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k8tf32", "m=32,n=128,k=32")]
    [InlineData("f32", "block=32x16 thread=16x8 reduce=16 shared=A,B mma=m16n8k8tf32", "m=32,n=32,k=32")]
    [InlineData("f16", "block=32x128 thread=32x32 reduce=16 shared=A,B mma=m16n8k16", "m=32,n=128,k=32")]
    public void Kernels_over_several_warps_and_row_layouts_match_the_reference(string dtype, string schedule, string shape)
    {
        var op = Gemm(dtype, shape: shape);
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "WarpsMma");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 7);
        var measurement = runner.Run(compiled, CpuDeviceFixture.Once);

        Assert.True(measurement.Verified, measurement.Error);
        Assert.Contains(dtype == "f32" ? "g_sb_frag" : "LoadMatrixTransposed", source.Text);
    }

    [Theory]
    // Pipelined stages over two buffers, 3 or 4 stages a block so that both buffers are read and rewritten,
    // and an odd count ends on buffer 0; two blocks along n.
    [InlineData("f16", null, "block=32x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k16 buffers=2 prefetch=1", "m=32,n=128,k=48")]
    [InlineData("bf16", "f32", "block=16x64 thread=16x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1", "m=16,n=128,k=96")]
    [InlineData("f32", null, "block=32x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k8tf32 buffers=2 prefetch=1", "m=32,n=128,k=64")]
    [InlineData("f16", null, "block=32x128 thread=32x32 reduce=16 shared=A,B mma=m16n8k16 buffers=2 prefetch=1", "m=32,n=128,k=48")]
    public void Pipelined_kernels_match_the_reference(string dtype, string? outputType, string schedule, string shape)
    {
        var state = new EtirState(Gemm(dtype, outputType, shape), Schedule.Parse(schedule));

        var measurement = fixture.Run(state, "PipelinedMma", seed: 11, CpuDeviceFixture.Once);

        Assert.True(measurement.Verified, measurement.Error);
        var source = CSharpKernelGenerator.Generate(state, "PipelinedMma");
        // One barrier after the prologue and one a stage.
        Assert.Equal(2, Count(source.Text, "Group.Barrier();"));
        Assert.Contains("(g_read ^ 1)", source.Text);
    }

    [Fact]
    public void Tf32_registers_hold_each_element_of_A_and_B_once()
    {
        var a = Enumerable.Range(0, 32).SelectMany(lane => Enumerable.Range(0, 4).Select(r => MmaFragmentLayout.ATf32(lane, r))).ToHashSet();
        var b = Enumerable.Range(0, 32).SelectMany(lane => Enumerable.Range(0, 2).Select(r => MmaFragmentLayout.BTf32(lane, r))).ToHashSet();

        Assert.Equal(16 * 8, a.Count);
        Assert.Equal(8 * 8, b.Count);
        Assert.Equal((9, 5), MmaFragmentLayout.ATf32(5, 3));
        Assert.Equal((5, 1), MmaFragmentLayout.BTf32(5, 1));
    }

    [Fact]
    public void Tf32_kernel_matches_the_reference_within_the_tf32_tolerance()
    {
        var op = Gemm("f32");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=32x16 thread=16x16 reduce=8 shared=A,B mma=m16n8k8tf32")), "Tf32Kernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 5);
        var measurement = runner.Run(compiled, CpuDeviceFixture.Once);

        Assert.True(measurement.Verified, measurement.Error);
        // Rounding the inputs to 10 significand bits leaves errors far above float32's.
        Assert.True(measurement.MaxAbsError > 1e-5, $"max abs error {measurement.MaxAbsError}");
        Assert.Contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", source.Text);
        Assert.Contains("cvt.rna.tf32.f32", source.Text);
    }

    [Theory]
    [InlineData("f16", "block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1")]
    [InlineData("f32", "block=64x64 thread=32x32 reduce=16 shared=A,B mma=m16n8k8tf32")]
    public void Fragments_come_by_ldmatrix_from_the_kernels_one_shared_allocation(string dtype, string schedule)
    {
        var state = new EtirState(Gemm(dtype, shape: "m=256,n=256,k=256"), Schedule.Parse(schedule));
        var compiled = RoslynKernelCompiler.Compile([CSharpKernelGenerator.Generate(state, "LdmatrixMma")]).Single();
        Assert.Null(compiled.Error);
        var tiling = Gensor.Analysis.TensorCoreTiling.Of(state.Operator, state.Schedule).Tiling!;

        var ptx = Gensor.Backend.Emission.OfflineKernelCompiler.Ptx(compiled.Method!, "sm_90");

        // SharedBase names __shared_alloca0: it must be the only allocation, 16-byte aligned for ldmatrix's rows.
        var shared = ptx.Split('\n').Where(line => line.TrimStart().StartsWith(".shared", StringComparison.Ordinal)).Select(line => line.Trim()).ToArray();
        Assert.Equal([$".shared .align 16 .b8 __shared_alloca0[{tiling.SharedBytes}];"], shared);
        Assert.Contains("ldmatrix.sync.aligned.m8n8.x4.shared.b16", ptx);
        // 16-bit B by ldmatrix.trans; TF32's B a word a lane.
        Assert.Equal(dtype != "f32", ptx.Contains("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16", StringComparison.Ordinal));
        // Both boxes are copied in 128-bit units here, in the loop and, pipelined, in the prologue.
        Assert.Equal((4, 4), (tiling.RowsA.Unit, tiling.RowsB.Unit));
        var stageCopies = (tiling.RowsA.Unit == 4 ? tiling.RowsA.CopyItems : 0) + (tiling.RowsB.Unit == 4 ? tiling.RowsB.CopyItems : 0);
        Assert.Equal(stageCopies * (tiling.Pipelined ? 2 : 1), Count(ptx, "ld.global.v4.b32"));
        Assert.Equal(Count(ptx, "ld.global.v4.b32"), Count(ptx, "st.shared.v4.b32"));
        // Pipelined 16-bit operands by cp.async on CUDA, waited for before each barrier; the loads and stores above are
        // its emulation, which the PTX keeps behind ILGPU's unfolded CudaAsm.IsSupported test and ptxas drops.
        Assert.Equal(dtype != "f32", tiling.AsyncCopies);
        Assert.Equal(tiling.AsyncCopies ? stageCopies * 2 : 0, Count(ptx, "cp.async.cg.shared.global"));
        Assert.Equal(tiling.AsyncCopies ? 2 : 0, Count(ptx, "cp.async.wait_all;"));
        // With cp.async the inline assembly's operand slots are registers (PtxLocalPromotion), which ptxas would
        // otherwise keep in local memory; without, ILGPU's slots are left for ptxas to promote.
        Assert.Equal(!tiling.AsyncCopies, ptx.Contains(".local", StringComparison.Ordinal));
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;

    [Fact]
    public void Kernel_issues_the_mma_as_inline_ptx_behind_the_cuda_guard()
    {
        var source = CSharpKernelGenerator.Generate(new EtirState(Gemm("bf16"), Schedule.Parse(OneBlock)), "MmaKernel");

        Assert.Contains("if (CudaAsm.IsSupported)", source.Text);
        Assert.Contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", source.Text);
        Assert.Equal(64, source.Launch.GroupSize);
        Assert.Equal(1, source.Launch.GridSize);
    }
}
