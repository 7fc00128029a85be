using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// The structure of lowered kernels, read from the IR (<see cref="KernelIr"/>) rather than
/// from text: bounds checks only where needed, operands loaded once and four at a time,
/// unrolled stages, one barrier per double-buffered stage, reductions across threads, vector stores.
/// </summary>
public sealed class KernelSourceTests
{
    private static EtirState Gemm(string shape, string schedule) =>
        new(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", shape), Schedule.Parse(schedule));

    private static IEnumerable<IrExpr> Expressions(KernelIr kernel) =>
        kernel.Statements.SelectMany(statement => statement.Expressions()).SelectMany(expression => expression.Walk());

    /// <summary>The loop over the reduction stages.</summary>
    private static IrStmt.For StageLoop(KernelIr kernel) => kernel.Statements.OfType<IrStmt.For>().Single(f => f.Index.Name == "g_st");

    [Fact]
    public void Tiles_that_divide_the_extents_need_no_bounds_checks()
    {
        var kernel = CSharpKernelGenerator.Lower(Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B"));

        Assert.Empty(Expressions(kernel).OfType<IrExpr.InRange>());
        Assert.Empty(kernel.Statements.OfType<IrStmt.If>());
    }

    [Fact]
    public void Ragged_extents_get_guarded_loads_reduce_points_and_stores()
    {
        var kernel = CSharpKernelGenerator.Lower(Gemm("m=60,n=64,k=30", "block=32x32 thread=4x4 reduce=8 shared=A,B"));

        // The copy checks its chunks, the last stage's points past k=30 are skipped, rows past m=60 are not stored.
        Assert.NotEmpty(Expressions(kernel).OfType<IrExpr.InRange>());
        Assert.Contains(StageLoop(kernel).Walk().OfType<IrStmt.If>(), branch => branch.Condition is IrExpr.Binary { Op: BinaryOperator.Less, Right: IrExpr.Int { Value: 30 } });
        Assert.Contains(kernel.Statements.OfType<IrStmt.If>(), branch => branch.Then is IrStmt.Store && branch.Condition is IrExpr.Binary { Right: IrExpr.Int { Value: 60 } });
    }

    [Fact]
    public void Launch_configuration_follows_the_schedule()
    {
        var source = CSharpKernelGenerator.Generate(Gemm("m=64,n=96,k=32", "block=32x32 thread=4x2 reduce=8 shared=A,B"), "K");

        Assert.Equal(2 * 3, source.Launch.GridSize);
        Assert.Equal(8 * 16, source.Launch.GroupSize);
        Assert.Equal((32 * 8 + 8 * 32) * sizeof(float), source.Launch.SharedMemoryBytes);
        Assert.Equal(["C", "A", "B"], source.Launch.Tensors.Select(t => t.Name));
        Assert.Contains("public const int GroupSize = 128;", source.Text);
    }

    [Fact]
    public void The_outer_product_loads_each_operand_once_per_reduce_point_four_at_a_time()
    {
        // Before unrolling, the stage loop's body is one reduce point.
        var kernel = KernelLowering.Lower(Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B"));
        var point = StageLoop(kernel).Walk().OfType<IrStmt.For>().Single(f => f.Index.Name == "g_kk0");

        // A is stored k-major, so the 4 values of A, like the 4 of B, are one 128-bit shared load; together they feed 16 multiply-adds.
        var declares = point.Walk().OfType<IrStmt.Declare>().ToArray();
        Assert.Equal(2, declares.Count(d => d.Init is IrExpr.Load { Width: 4, Buffer.Scope: BufferScope.Shared }));
        Assert.Equal(8, declares.Count(d => d.Variable.Name.StartsWith("g_v", StringComparison.Ordinal)));
        Assert.Equal(16, point.Walk().OfType<IrStmt.Assign>().Count(a => a.Variable.Name.StartsWith("g_acc", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_small_stage_is_unrolled_into_straight_line_code_with_constant_offsets()
    {
        var state = Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B");

        Assert.True(StageLoop(KernelLowering.Lower(state)).Walk().OfType<IrStmt.For>().Single(f => f.Index.Name == "g_kk0").Unroll);
        var unrolled = StageLoop(CSharpKernelGenerator.Lower(state));
        Assert.Empty(unrolled.Walk().OfType<IrStmt.For>().Skip(1));
        // Every shared load's index is a base variable plus a constant: no point variable is left.
        Assert.All(unrolled.Walk().OfType<IrStmt.Declare>().Select(d => d.Init).OfType<IrExpr.Load>().Where(l => l.Buffer.Scope == BufferScope.Shared),
            load => Assert.DoesNotContain(((IrExpr.Linear)load.Index).Terms, t => t.Variable.Name.StartsWith("g_kk", StringComparison.Ordinal)));
    }

    [Fact]
    public void Double_buffering_needs_one_barrier_per_stage_and_a_single_buffer_two()
    {
        var single = CSharpKernelGenerator.Lower(Gemm("m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 prefetch=1"));
        var doubled = CSharpKernelGenerator.Lower(Gemm("m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 prefetch=1 buffers=2"));

        Assert.Equal(2, StageLoop(single).Walk().OfType<IrStmt.Barrier>().Count());
        Assert.Single(StageLoop(doubled).Walk().OfType<IrStmt.Barrier>());
        Assert.Equal(2 * single.SharedBytes, doubled.SharedBytes);
    }

    [Fact]
    public void Reduce_threads_combine_their_partial_sums_with_warp_shuffles_and_then_shared_memory()
    {
        var gemv = Operators.Parse("y[i] += A[i,j] * x[j]", "i=64,j=256");
        var warp = CSharpKernelGenerator.Lower(new EtirState(gemv, Schedule.Parse("block=4 thread=1 reduce=64 rthreads=32")));
        var twoWarps = CSharpKernelGenerator.Lower(new EtirState(gemv, Schedule.Parse("block=2 thread=1 reduce=64 rthreads=64")));

        Assert.Equal([16, 8, 4, 2, 1], Expressions(warp).OfType<IrExpr.ShuffleXor>().Select(x => x.LaneMask));
        Assert.Empty(warp.Shared);
        Assert.Equal(128, warp.GroupSize);
        Assert.Single(twoWarps.Shared, buffer => buffer.Name == "g_red");
        Assert.Single(twoWarps.Statements.OfType<IrStmt.Barrier>());
    }

    [Fact]
    public void Index_arithmetic_divides_unsigned_and_only_the_expressions_own_division_is_signed()
    {
        // Copy coordinates of a 3x3 window divide by the box extents: unsigned, ptxas makes each a multiply-high.
        var conv = new EtirState(Operators.Parse(Operators.ConvChw, "f=16,y=6,x=6,c=8,r=3,s=3"),
            Schedule.Parse("block=8x4x6 thread=1x1x3 reduce=2x3x3 shared=I,W"));
        var scaled = new EtirState(Operators.Parse("y[i] = x[i] / 3", "i=64"), Schedule.Parse("block=32 thread=1 reduce=-"));

        var divisions = Expressions(CSharpKernelGenerator.Lower(conv)).OfType<IrExpr.Binary>().Select(b => b.Op).ToArray();

        Assert.Contains(BinaryOperator.IndexDivide, divisions);
        Assert.DoesNotContain(BinaryOperator.Divide, divisions);
        Assert.DoesNotContain(BinaryOperator.Remainder, divisions);
        Assert.Contains("(uint)", CSharpKernelGenerator.Generate(conv, "K").Text);
        Assert.Contains(Expressions(CSharpKernelGenerator.Lower(scaled)).OfType<IrExpr.Binary>(), b => b.Op == BinaryOperator.Divide);
    }

    [Fact]
    public void Four_consecutive_outputs_of_a_thread_are_stored_as_one_vector()
    {
        var kernel = CSharpKernelGenerator.Lower(Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B"));

        var stores = kernel.Statements.OfType<IrStmt.Store>().Where(s => s.Buffer.Scope == BufferScope.Global).ToArray();
        Assert.Equal(4, stores.Length);
        Assert.All(stores, store => Assert.Equal(4, store.Width));
    }

    [Fact]
    public void A_schedule_that_does_not_fit_the_operator_is_refused()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=4");

        var error = Assert.Throws<ArgumentException>(() =>
            CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8x8 thread=3x1 reduce=4")), "K"));

        Assert.Contains("not a multiple", error.Message);
    }

    [Fact]
    public void Every_store_is_the_thread_origin_plus_a_constant()
    {
        // A split-K convolution over a ragged 16x16 tile of 14x14 pixels: 8 guarded atomic adds per thread.
        var op = Operators.Parse(Operators.ConvChw, "f=8,y=14,x=14,c=32,r=3,s=3");
        var kernel = KernelLowering.Lower(new EtirState(op, Schedule.Parse("block=8x16x16 thread=2x1x4 reduce=16x3x3 shared=I,W split=2")));

        var adds = kernel.Statements.OfType<IrStmt.AtomicAdd>().ToArray();
        Assert.Equal(8, adds.Length);
        Assert.All(adds, add => Assert.Equal("g_ob", Assert.Single(Assert.IsType<IrExpr.Linear>(add.Index).Terms).Variable.Name));
        Assert.Equal(8, adds.Select(add => ((IrExpr.Linear)add.Index).Constant).Distinct().Count());
    }

    [Theory]
    // Four consecutive outputs per chunk: 128-bit stores; two virtual threads of two: 64-bit stores.
    [InlineData("block=16x64 thread=4x8 reduce=8 shared=A,B", 4, 8)]
    [InlineData("block=16x64 thread=4x8 vthread=1x4 reduce=8 shared=A,B", 2, 16)]
    public void Whole_tiles_store_into_a_window_at_the_thread_origin(string schedule, int width, int stores)
    {
        // Every output of every thread exists: each store is the window plus a constant, which ptxas folds into the store.
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=128,k=16");
        var kernel = KernelLowering.Lower(new EtirState(op, Schedule.Parse(schedule)));

        var window = Assert.Single(kernel.Statements.OfType<IrStmt.DeclareWindow>(), w => w.Buffer.Name == "t_C");
        // A window of the output's vectors, cut from its vector view: one of its elements would lose their alignment.
        Assert.Equal(("t_C", width), (window.Buffer.Name, window.Width));
        var all = kernel.Statements.OfType<IrStmt.Store>().Where(store => store.Buffer.Scope == BufferScope.Global).ToArray();
        Assert.Equal(stores, all.Length);
        Assert.All(all, store =>
        {
            Assert.Same(window.Window, store.Buffer);
            Assert.Equal(width, store.Width);
            Assert.Empty(Assert.IsType<IrExpr.Linear>(store.Index).Terms);
        });
        Assert.Contains($"var g_ow = t_C_{width}.SubView(", CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "K").Text);
    }

    [Fact]
    public void A_ragged_tile_stores_into_the_whole_output()
    {
        // The last block's threads have outputs past the edge: a window there could start past the buffer's end.
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=30,n=128,k=16");
        var kernel = KernelLowering.Lower(new EtirState(op, Schedule.Parse("block=16x64 thread=4x8 reduce=8 shared=A,B")));

        Assert.DoesNotContain(kernel.Statements.OfType<IrStmt.DeclareWindow>(), w => w.Buffer.Name == "t_C");
        Assert.All(kernel.Statements.OfType<IrStmt.Store>().Where(store => store.Buffer.Scope == BufferScope.Global), store => Assert.Equal("t_C", store.Buffer.Name));
    }
}
