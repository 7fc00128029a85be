using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Primitives;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Asynchronous copies (<c>async=1</c>): a double-buffered stage's next boxes go from global memory straight into the
/// other shared buffer by <c>cp.async</c> on CUDA. On the CPU accelerator the same statements copy at once through
/// the same indices, so these runs check every index, bound and zero fill the GPU's copies use.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class AsyncCopyTests(CpuDeviceFixture fixture)
{
    private const string Gemm = "C[m,n] += A[m,k] * B[k,n]";
    private const string PaddedConv = "O[f,y,x] += I[c,y+r-1,x+s-1] * W[f,c,r,s]";

    [Theory]
    // Ragged edges on every axis: the copies of the last block rows, columns and stage fill zeros.
    [InlineData(Gemm, "m=50,n=70,k=44", "block=32x64 thread=4x4 reduce=8 shared=A,B buffers=2 async=1")]
    // 128-bit copies of B's rows, A transposed (k-major) one element at a time.
    [InlineData(Gemm, "m=64,n=128,k=48", "block=32x64 thread=4x4 reduce=8 shared=A,B vector=4 pad=4 buffers=2 async=1")]
    [InlineData(Gemm, "m=64,n=96,k=40", "block=32x32 thread=2x4 reduce=8 shared=A,B vector=2 buffers=2 async=1")]
    // Split-K: each block's slice of stages, the last one copied again.
    [InlineData(Gemm, "m=32,n=64,k=96", "block=32x64 thread=4x4 reduce=16 shared=A,B vector=4 buffers=2 async=1 split=2")]
    // One stage per block: the prologue's copy is all there is.
    [InlineData(Gemm, "m=32,n=64,k=16", "block=32x64 thread=4x4 reduce=16 shared=A,B vector=4 buffers=2 async=1")]
    // 32 chunks per thread, more than a register copy hoists: unrolled from the first chunk all the same.
    [InlineData(Gemm, "m=64,n=64,k=64", "block=64x64 thread=8x8 reduce=32 shared=A,B buffers=2 async=1")]
    // The same with ragged m, n and k: checked chunks stay a loop (unrolled, ptxas kept registers per chunk).
    [InlineData(Gemm, "m=50,n=70,k=100", "block=64x64 thread=8x8 reduce=32 shared=A,B buffers=2 async=1")]
    // 128 chunks per thread, more than an asynchronous copy hoists: a loop computes them per stage.
    [InlineData(Gemm, "m=64,n=64,k=256", "block=64x64 thread=8x8 reduce=128 shared=A,B buffers=2 async=1")]
    // A padded convolution: bounds checked per element as condition bits, carries between copy runs.
    [InlineData(PaddedConv, "f=8,y=6,x=8,c=36,r=3,s=3", "block=4x2x8 thread=1x1x1 reduce=4x3x3 shared=I,W vector=2 buffers=2 async=1")]
    [InlineData(PaddedConv, "f=8,y=6,x=8,c=36,r=3,s=3", "block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W buffers=2 async=1 split=3")]
    // A matrix-vector product over 128 reduce lanes: their scratch shares the one shared allocation with x's buffers.
    [InlineData("y[m] += A[m,k] * x[k]", "m=8,k=1024", "block=2 thread=1 reduce=256 shared=x vector=4 rthreads=128 buffers=2 async=1")]
    public void Asynchronous_copies_match_the_reference(string compute, string shape, string schedule)
    {
        var state = new EtirState(Operators.Parse(compute, shape), Schedule.Parse(schedule));
        Assert.Null(OperatorAnalysis.Of(state.Operator).CheckStructure(state.Schedule));
        Assert.Contains(CSharpKernelGenerator.Lower(state).Statements, statement => statement is IrStmt.AsyncCopy);

        var measurement = fixture.Run(state, "AsyncCopy", seed: 11);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_stage_is_copied_without_registers_and_waited_for_before_its_one_barrier()
    {
        var state = new EtirState(Operators.Parse(Gemm, "m=256,n=256,k=256"),
            Schedule.Parse("block=128x128 thread=8x8 vthread=2x2 reduce=16 shared=A,B vector=4 pad=4 buffers=2 async=1"));
        var kernel = CSharpKernelGenerator.Lower(state);

        // No prefetch registers and no shared stores of a copy: only the copies write the staged boxes.
        Assert.DoesNotContain(kernel.Statements.OfType<IrStmt.Declare>(), d => System.Text.RegularExpressions.Regex.IsMatch(d.Variable.Name, "^g_p[0-9]"));
        Assert.DoesNotContain(kernel.Statements.OfType<IrStmt.Store>(), s => s.Buffer.Scope == BufferScope.Shared);
        // B's rows are 16-byte copies; A, stored k-major, one element each.
        var copies = kernel.Statements.OfType<IrStmt.AsyncCopy>().ToArray();
        Assert.Equal([1, 4], copies.Select(c => c.Width).Distinct().Order());
        Assert.All(copies.Where(c => c.Width == 4), c => Assert.Equal("B", c.Global.Tensor));
        // The loop: next copies, multiply-adds, wait, barrier; nothing else synchronises.
        var loop = kernel.Statements.OfType<IrStmt.For>().Single(f => f.Index.Name == "g_st");
        var tail = ((IrStmt.Seq)loop.Body).Body.TakeLast(2).ToArray();
        Assert.IsType<IrStmt.WaitAsyncCopies>(tail[0]);
        Assert.IsType<IrStmt.Barrier>(tail[1]);
        Assert.Single(loop.Body.Walk().OfType<IrStmt.Barrier>());
        // One shared allocation, the staged tensors' addresses after the tensors.
        Assert.True(kernel.OneSharedAllocation);
        Assert.Equal(["g_address1", "g_address2"], kernel.Parameters.Select(p => p.Address).OfType<string>());
        var contract = LaunchContract.Of(state);
        Assert.Equal([("A", 1), ("B", 2)], contract.Addresses.Select(a => (a.Tensor, a.TensorIndex)));
        Assert.Equal(contract.SharedMemoryBytes, kernel.SharedBytes);
    }

    [Theory]
    // 32 chunks of A's transposed box a stage (4096³'s pick for h100 at a2365b3): one element each.
    [InlineData("m=4096,n=4096,k=4096", "block=64x256 thread=16x8 reduce=64 shared=A vector=1 pad=4 buffers=2 async=1", 32, false)]
    [InlineData("m=64,n=64,k=64", "block=64x64 thread=8x8 reduce=32 shared=A,B buffers=2 async=1", 32, false)]
    [InlineData("m=64,n=64,k=256", "block=64x64 thread=8x8 reduce=128 shared=A,B buffers=2 async=1", 128, true)]
    // 32 chunks with bounds checks: a loop (a 500x700x1000 product's 64x64 tile took 221 registers unrolled, 95 looped).
    [InlineData("m=500,n=700,k=1000", "block=64x64 thread=8x8 reduce=32 shared=A,B buffers=2 async=1", 32, true)]
    public void An_unchecked_asynchronous_copy_of_up_to_64_chunks_a_thread_divides_nothing_in_the_stage_loop(string shape, string schedule, int chunks, bool looped)
    {
        var state = new EtirState(Operators.Parse(Gemm, shape), Schedule.Parse(schedule));
        Assert.Equal(chunks, OperatorAnalysis.Of(state.Operator).Copy(0, state.Schedule).IterationsPerThread);
        var kernel = CSharpKernelGenerator.Lower(state);

        var stageLoop = kernel.Statements.OfType<IrStmt.For>().Single(f => f.Index.Name == "g_st");
        var copyLoops = stageLoop.Body.Walk().OfType<IrStmt.For>().Where(f => f.Index.Name.StartsWith("g_it", StringComparison.Ordinal));
        // The copies' statements: the cp.async and the chunk coordinates (g_cs, g_cg, g_cv, g_cc...) they are given.
        var copyStatements = stageLoop.Body.Walk().Where(st => st is IrStmt.AsyncCopy || st is IrStmt.Declare d && d.Variable.Name.StartsWith("g_c", StringComparison.Ordinal));
        var divisions = copyStatements.SelectMany(st => st.Expressions()).SelectMany(e => e.Walk()).OfType<IrExpr.Binary>()
            .Count(b => b.Op is BinaryOperator.IndexDivide or BinaryOperator.IndexRemainder);
        if (looped)
        {
            // Beyond MaxHoistedAsyncCopyIterations, or with bounds checks, the loop's divisions stay.
            Assert.NotEmpty(copyLoops);
            Assert.NotEqual(0, divisions);
        }
        else
        {
            // Every chunk's offsets are the first chunk's plus constants: the copies of a stage are straight-line code.
            Assert.Empty(copyLoops);
            Assert.Equal(0, divisions);
            Assert.Equal(chunks, stageLoop.Body.Walk().OfType<IrStmt.AsyncCopy>().Count(c => c.Global.Tensor == "A"));
        }
    }

    [Theory]
    [InlineData(Gemm, "m=256,n=256,k=256", "block=128x128 thread=8x8 vthread=2x2 reduce=16 shared=A,B vector=4 pad=4 buffers=2 async=1")]
    // x's two buffers and the 128 lanes' scratch.
    [InlineData("y[m] += A[m,k] * x[k]", "m=8,k=1024", "block=2 thread=1 reduce=256 shared=x vector=4 rthreads=128 buffers=2 async=1")]
    public void The_copies_address_the_kernels_one_shared_allocation(string compute, string shape, string schedule)
    {
        var state = new EtirState(Operators.Parse(compute, shape), Schedule.Parse(schedule));
        var compiled = Gensor.Backend.Compilation.RoslynKernelCompiler.Compile([CSharpKernelGenerator.Generate(state, "AsyncPtx")]).Single();
        Assert.Null(compiled.Error);

        var ptx = Gensor.Backend.Emission.OfflineKernelCompiler.Ptx(compiled.Method!, "sm_90");

        // SharedBase names __shared_alloca0: it must be the only allocation, 16-byte aligned for the 16-byte copies.
        var shared = ptx.Split('\n').Where(line => line.TrimStart().StartsWith(".shared", StringComparison.Ordinal)).Select(line => line.Trim()).ToArray();
        Assert.Equal([$".shared .align 16 .b8 __shared_alloca0[{LaunchContract.Of(state).SharedMemoryBytes}];"], shared);
        Assert.Contains("cp.async.cg.shared.global", ptx);
        Assert.Contains("cp.async.wait_all", ptx);
        // The tensors' addresses are converted to the global space once, not in each copy.
        Assert.DoesNotContain("cvta.to.global.u64 g,", ptx);
        // (the kernel's inline conversions are written "cvta.to.global.u64 %0", ILGPU's own with a tab after the opcode)
        Assert.Equal(LaunchContract.Of(state).Addresses.Count, ptx.Split('\n').Count(line => line.Trim().StartsWith("cvta.to.global.u64 ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Only_staged_float32_boxes_of_two_buffers_on_sm_80_and_later_copy_asynchronously()
    {
        var gemm = Operators.Parse(Gemm, "m=256,n=256,k=256");
        var schedule = Schedule.Parse("block=64x64 thread=4x4 reduce=16 shared=A,B vector=4 buffers=2 async=1");
        Assert.Equal(schedule, Schedule.Parse(schedule.ToString()));
        Assert.True((bool)Gensor.Tuning.Reports.EtirJson.Schedule(schedule)["async_copy"]!);
        Assert.False(Gensor.Tuning.Reports.EtirJson.Schedule(schedule with { AsyncCopy = false, RegisterPrefetch = true }).ContainsKey("async_copy"));
        Assert.Null(Legality.Check(gemm, schedule, BuiltInProfiles.H100));
        Assert.Null(Legality.Check(gemm, schedule, BuiltInProfiles.A100));
        Assert.Contains("cp.async", Legality.Check(gemm, schedule, BuiltInProfiles.V100));
        Assert.Contains("cp.async", Legality.Check(gemm, schedule, BuiltInProfiles.Cpu));
        Assert.Contains("two shared buffers", OperatorAnalysis.Of(gemm).CheckStructure(schedule with { SharedBuffers = 1 }));
        Assert.Contains("one way to fill", OperatorAnalysis.Of(gemm).CheckStructure(schedule with { RegisterPrefetch = true }));
        Assert.Contains("float32", OperatorAnalysis.Of(Operators.Parse(Gemm, "m=256,n=256,k=256", null, "f16")).CheckStructure(schedule));
        var tensorCores = Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1");
        Assert.NotNull(TensorCoreTiling.Of(Operators.Parse(Gemm, "m=256,n=256,k=256", null, "f16"), tensorCores with { AsyncCopy = true }).Reason);
    }

    [Fact]
    public void The_toggle_trades_the_register_prefetch_for_asynchronous_copies_and_back()
    {
        var gemm = Operators.Parse(Gemm, "m=256,n=256,k=256");
        var prefetched = Schedule.Parse("block=64x64 thread=4x4 reduce=16 shared=A,B vector=4 prefetch=1 buffers=2");

        var asynchronous = new ToggleAsyncCopy().Apply(gemm, prefetched).Schedule!;

        Assert.Equal(prefetched with { RegisterPrefetch = false, AsyncCopy = true }, asynchronous);
        Assert.Equal(prefetched, new ToggleAsyncCopy().Apply(gemm, asynchronous).Schedule);
        Assert.False(new ToggleAsyncCopy().Apply(gemm, prefetched with { SharedBuffers = 1 }).Applied);
        // Leaving two buffers or taking the prefetch leaves the copies synchronous.
        Assert.False(new ToggleDoubleBuffering().Apply(gemm, asynchronous).Schedule!.AsyncCopy);
        Assert.False(new TogglePrefetch().Apply(gemm, asynchronous).Schedule!.AsyncCopy);
        Assert.False(PrimitiveSet.ApplyLegal(new ToggleAsyncCopy(), gemm, prefetched, BuiltInProfiles.V100).Applied);
        Assert.True(PrimitiveSet.ApplyLegal(new ToggleAsyncCopy(), gemm, prefetched, BuiltInProfiles.H100).Applied);
    }

    [Fact]
    public void The_model_counts_no_copy_registers_and_no_copy_loads()
    {
        var gemm = Operators.Parse(Gemm, "m=4096,n=4096,k=4096");
        var prefetched = Schedule.Parse("block=128x128 thread=8x8 vthread=2x2 reduce=16 shared=A,B vector=4 pad=4 prefetch=1 buffers=2");
        var asynchronous = prefetched with { RegisterPrefetch = false, AsyncCopy = true };
        var analysis = OperatorAnalysis.Of(gemm);

        Assert.True(analysis.RegistersPerThread(asynchronous) < analysis.RegistersPerThread(prefetched));
        Assert.True(CostModel.EstimateMs(gemm, asynchronous, BuiltInProfiles.H100) < CostModel.EstimateMs(gemm, prefetched, BuiltInProfiles.H100));
    }

    [Fact]
    public void Ptxas_copies_with_LDGSTS_and_keeps_the_tile_under_128_registers()
    {
        // ptxas 11.8 for sm_90: with the register prefetch this 128x128 tile took 129 registers (256 threads resident per
        // SM); its copies by cp.async take 125 (512). No global load of A or B passes through registers.
        var gemm = Operators.Parse(Gemm, "m=4096,n=4096,k=4096");
        var schedule = Schedule.Parse("block=128x128 thread=8x8 vthread=2x2 reduce=16 shared=A,B vector=4 pad=4 buffers=2 async=1");

        var compiled = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(gemm, [schedule], BuiltInProfiles.H100).Single();

        var resources = compiled.Resources;
        Assert.True(resources?.Instructions is not null, compiled.Error ?? "no resources");
        // Per stage and thread 8 elements of A (transposed, 4 bytes each) and two 16-byte pieces of B, in the prologue and the loop.
        Assert.Equal((20, 0), (resources.Instructions.Ldgsts, resources.Instructions.Ldg));
        Assert.True(resources.Registers <= 128, $"{resources.Registers} registers");
        Assert.Equal(0, resources.StackFrameBytes);
        Assert.Equal(0, resources.SpillStoreBytes);
    }
}
