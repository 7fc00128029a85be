using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// How a block copies its staged boxes: dimensions that are one run in the tensor and in shared
/// memory are walked as one (fewer divisions per chunk, issue 9's IMAD count), and a block of
/// one stage loads it once even with the register prefetch.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class CopyLoweringTests(CpuDeviceFixture fixture)
{
    // 16 of 32 channels per stage: W's box is 8 filters of one contiguous run of 16x3x3 = 144 weights
    // (stored transposed, f innermost, where c, r and s are one run too); I's box is 16 channels of
    // whole 4x10 rows, a run of 40 in the tensor and in shared memory.
    private const string Shape = "f=8,y=6,x=8,c=32,r=3,s=3";
    private const string Staged = "block=8x2x8 thread=1x1x1 reduce=16x3x3 shared=I,W";

    // Padding makes y and x checked dimensions, each a run of its own: 12 channels of 4x10 windows
    // are 480 elements, which 128 threads copy in 4 chunks, the last one partial. A step of 128
    // elements carries from x into y and from y into c.
    private const string PaddedConv = "O[f,y,x] += I[c,y+r-1,x+s-1] * W[f,c,r,s]";
    private const string PaddedShape = "f=8,y=6,x=8,c=36,r=3,s=3";

    [Fact]
    public void A_convolution_copies_its_weights_as_filters_of_one_run_of_channels_and_window()
    {
        var kernel = KernelLowering.Lower(new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(Staged)));

        // Read 1 is W: each chunk's coordinates (its digits g_cd) are a filter and a place in the run of 144, not c, r and s
        // apiece; 128 threads' first chunks all lie in the first filter's run, so neither digit divides.
        Assert.Empty(Divisions(kernel, "g_cd1"));
        Assert.Equal([new IrExpr.Int(0)], DigitInits(kernel, "g_cd1_0"));
        // I: 16 channels of one run of 40 (whole 4x10 rows); the first chunks reach channel 3, which needs no remainder by 16.
        Assert.Equal([(BinaryOperator.IndexDivide, 40L), (BinaryOperator.IndexRemainder, 40L)], Divisions(kernel, "g_cd0"));
    }

    [Fact]
    public void A_padded_box_keeps_its_rows_apart()
    {
        // Padding separates I's stored rows: y and x are no longer one run in shared memory.
        var kernel = KernelLowering.Lower(new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(Staged + " pad=4")));

        Assert.Contains((BinaryOperator.IndexRemainder, 10L), Divisions(kernel, "g_cd0"));
        Assert.Empty(Divisions(kernel, "g_cd1"));
    }

    [Fact]
    public void A_convolution_loads_its_weights_as_vectors_along_the_run_of_channels_and_window()
    {
        // Rows of W are 3 long, but a stage's 16 channels of whole 3x3 windows are one run of 144
        // weights in the tensor: 4-wide chunks fit it, and each starts at a multiple of 4.
        var state = new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(Staged + " vector=4"));
        var plan = OperatorAnalysis.Of(state.Operator).Copy(1, state.Schedule);

        Assert.Equal((4, true, false), (plan.Width, plan.VectorLoad, plan.VectorStore));
        var kernel = KernelLowering.Lower(state);
        var loads = KernelLoads.Of(kernel).Where(l => l.Buffer.Scope == BufferScope.Global && l.Buffer.Tensor == "W").ToArray();
        Assert.NotEmpty(loads);
        Assert.All(loads, l => Assert.Equal(4, l.Width));
    }

    [Fact]
    public void A_window_split_over_stages_leaves_runs_too_short_for_vectors()
    {
        // One window row per stage: the box no longer spans r whole, so W's run is r's one row of 3 weights.
        var state = new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse("block=8x2x8 thread=1x1x1 reduce=16x1x3 shared=I,W vector=4"));
        var analysis = OperatorAnalysis.Of(state.Operator);
        Span<int> tile = stackalloc int[analysis.AxisCount];
        analysis.BlockStageTile(state.Schedule, tile);

        Assert.Equal((2, 3L), analysis.CopyRun(1, state.Schedule, tile));
        Assert.Equal(1, analysis.Copy(1, state.Schedule).Width);
    }

    [Theory]
    [InlineData(Staged)]
    [InlineData(Staged + " vector=4")]
    [InlineData(Staged + " vector=4 prefetch=1 buffers=2 split=2")]
    [InlineData(Staged + " pad=4 prefetch=1 split=2")]
    [InlineData(Staged + " prefetch=1 buffers=2 split=2")]
    public void Copies_by_runs_match_the_reference(string schedule)
    {
        var state = new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(schedule));
        Assert.Null(Legality.Check(state.Operator, state.Schedule, BuiltInProfiles.Cpu));

        var measurement = fixture.Run(state, "CopyRuns", seed: 5);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Two stages of 16 channels, split over two blocks: one stage each.
    [InlineData("split=2", 0)]
    // Two stages in one block: the first stage's computation overlaps the second's loads.
    [InlineData("split=1", 2)]
    public void The_prefetch_loads_ahead_only_when_the_block_has_a_next_stage(string split, int loadsInTheLoop)
    {
        var state = new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse($"{Staged} prefetch=1 {split}"));

        var loop = KernelLowering.Lower(state).Statements.OfType<IrStmt.For>().Single(f => f.Index.Name is "g_st" or "g_sl");
        var loadedInLoop = KernelLoads.In(loop).Where(l => l.Buffer.Scope == BufferScope.Global).Select(l => l.Buffer.Name).Distinct().Count();

        Assert.Equal(loadsInTheLoop, loadedInLoop);
    }

    [Fact]
    public void Only_a_threads_first_chunk_divides_the_later_ones_add_constants_with_carries()
    {
        // W's box is 8 filters x 144 weights, 1152 elements over 128 threads: 9 chunks per thread.
        var state = new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(Staged + " prefetch=1"));
        Assert.Equal(9, OperatorAnalysis.Of(state.Operator).Copy(1, state.Schedule).IterationsPerThread);

        var kernel = KernelLowering.Lower(state);

        // The later chunks' offsets (declared where they are copied, as g_cs and g_cg) take no division...
        var later = kernel.Statements.OfType<IrStmt.Declare>().Where(d => d.Variable.Name is "g_cs" or "g_cg").ToArray();
        Assert.NotEmpty(later);
        Assert.DoesNotContain(later.SelectMany(d => d.Init!.Walk()).OfType<IrExpr.Binary>(),
            b => b.Op is BinaryOperator.IndexDivide or BinaryOperator.IndexRemainder);
        // ...and a step of 128 elements along runs of 144 carries into the next filter for some threads only.
        Assert.Contains(later.SelectMany(d => d.Init!.Walk()), e => e is IrExpr.Select);
    }

    [Fact]
    public void A_copy_with_no_bound_checked_loads_its_chunks_at_constants_from_a_window_at_the_first()
    {
        // W's box (8 filters x 144 weights) lies inside W: each stage's copy cuts a window at the
        // thread's first chunk and loads the others at constant offsets, which ptxas folds into the loads.
        var conv = KernelLowering.Lower(new EtirState(Operators.Parse(Operators.ConvChw, Shape), Schedule.Parse(Staged + " prefetch=1")));
        var windows = conv.Statements.OfType<IrStmt.DeclareWindow>().Where(w => w.Buffer.Tensor == "W").ToArray();
        Assert.NotEmpty(windows);
        var loads = GlobalLoads(conv, "W");
        Assert.All(loads, l => Assert.Contains(l.Buffer, windows.Select(w => w.Window)));
        // A step of 128 elements along runs of 144 weights: a constant, or another where the chunk carries into
        // the next filter. One load per side of the carry, each at a constant, rather than one at a variable index
        // (c + (carry ? d : 0)), which ptxas would scale with a 64-bit multiply-add per load.
        Assert.All(loads, l => Assert.IsType<IrExpr.Int>(l.Index));
        Assert.Contains(conv.Statements.SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()),
            e => e is IrExpr.Select { Then: IrExpr.Load { Buffer.Tensor: "W" }, Else: IrExpr.Load { Buffer.Tensor: "W" } });

        // A's box of a matrix product, 32 rows of 16, over 64 threads: a step of 4 whole rows, a constant.
        var gemm = KernelLowering.Lower(new EtirState(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64"), Schedule.Parse("block=32x32 thread=4x4 reduce=16 shared=A,B prefetch=1")));
        Assert.Equal(8, GlobalLoads(gemm, "A").Length / 2);
        Assert.All(GlobalLoads(gemm, "A"), l => Assert.IsType<IrExpr.Int>(l.Index));

        // Padding makes I's rows checked: its chunks may start outside the tensor, so it loads from the whole tensor.
        var padded = KernelLowering.Lower(new EtirState(Operators.Parse(PaddedConv, PaddedShape), Schedule.Parse("block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W prefetch=1")));
        Assert.All(GlobalLoads(padded, "I"), l => Assert.Equal("t_I", l.Buffer.Name));
        Assert.NotEmpty(GlobalLoads(padded, "I"));
    }

    [Fact]
    public void Many_chunks_per_thread_keep_few_registers()
    {
        // Batch-32 ResNet-50 s2_conv3x3_stride2 as gensor chose it for h100: W's box is 32 filters of
        // 16x3x3 weights, 36 chunks of 2 per thread, prefetched into 72 registers. Keeping two offsets
        // per chunk as well took ptxas 11.8 to 247 registers; adding constants to the first chunk's, 134.
        var op = Operators.Parse("O[b,f,y,x] += I[b,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]", "b=32,f=128,y=28,x=28,c=128,r=3,s=3");
        var schedule = Schedule.Parse("block=16x32x1x4 thread=2x16x1x1 vthread=2x2x1x1 reduce=16x3x3 shared=W vector=2 pad=4 prefetch=1 buffers=2");
        Assert.Equal(36, OperatorAnalysis.Of(op).Copy(1, schedule).IterationsPerThread);

        var compiled = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [schedule], BuiltInProfiles.H100).Single();

        Assert.True(compiled.Resources is { SpillStoreBytes: 0, Registers: < 200 }, compiled.Error ?? $"{compiled.Resources!.Registers} registers");
    }

    [Theory]
    [InlineData("block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W")]
    [InlineData("block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W pad=4 prefetch=1")]
    [InlineData("block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W prefetch=1 split=3")]
    [InlineData("block=4x2x8 thread=1x1x1 reduce=4x3x3 shared=I,W vector=2 prefetch=1 buffers=2")]
    [InlineData("block=4x2x8 thread=1x1x2 reduce=4x3x3 shared=I,W vector=2 prefetch=1 buffers=2")]
    public void Chunks_carried_across_checked_dimensions_match_the_reference(string schedule)
    {
        var state = new EtirState(Operators.Parse(PaddedConv, PaddedShape), Schedule.Parse(schedule));
        Assert.Null(Legality.Check(state.Operator, state.Schedule, BuiltInProfiles.Cpu));
        Assert.True(OperatorAnalysis.Of(state.Operator).Copy(0, state.Schedule).IterationsPerThread > 1);

        var measurement = fixture.Run(state, "CopyCarries", seed: 7);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // A stage holds every filter tap: I's bounds checks are the same in every stage, bits too.
    [InlineData("block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W pad=4 prefetch=1", false)]
    // Filter rows over stages: the box moves across the bounds from stage to stage, so I's checks stay comparisons.
    [InlineData("block=8x2x8 thread=1x1x1 reduce=12x1x3 shared=I,W pad=4 prefetch=1", true)]
    public void A_stage_tests_its_chunks_carries_and_fixed_bounds_checks_as_bits_set_before_the_loop(string schedule, bool checksInTheLoop)
    {
        var state = new EtirState(Operators.Parse(PaddedConv, PaddedShape), Schedule.Parse(schedule));
        var kernel = KernelLowering.Lower(state);
        var stages = kernel.Statements.OfType<IrStmt.For>().Single(loop => loop.Index.Name == "g_st");
        var inLoop = stages.Body.Walk().SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()).ToArray();

        // No carry compares a digit of the first chunk in the loop: each is a bit of a g_cb register...
        static bool ComparesDigit(IrExpr e) => e is IrExpr.Binary { Op: BinaryOperator.Less } less
            && less.Walk().Any(x => x is IrExpr.Ref { Variable.Name: var name } && name.StartsWith("g_cd", StringComparison.Ordinal));
        Assert.DoesNotContain(inLoop, ComparesDigit);
        Assert.Contains(stages.Body.Walk().OfType<IrStmt.Declare>(), d => d.Variable.Name.StartsWith("g_ck", StringComparison.Ordinal)
            && d.Init!.Walk().Any(x => x is IrExpr.Ref { Variable.Name: var name } && name.StartsWith("g_cb", StringComparison.Ordinal)));
        // ...set before the loop, where the comparisons are.
        var before = kernel.Statements.TakeWhile(s => s != stages).SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()).ToArray();
        Assert.Contains(before, ComparesDigit);
        Assert.Equal(checksInTheLoop, inLoop.Any(e => e is IrExpr.InRange));

        var measurement = fixture.Run(state, "ConditionBits", seed: 11);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_copy_run_the_threads_first_chunks_never_leave_carries_nothing()
    {
        // A 1x1 convolution's I box is one image of 32 channels of 16 positions, over 32 threads: the first chunks
        // reach channel 1 at most, so a step of 2 channels never carries out of the channels into the image (before,
        // 15 comparisons with a channel digit that could not pass them, each a select per load and a bit per chunk;
        // batch-1 ResNet-50 s2_reduce's pick for h100 went from 111 to 64 registers in ptxas 11.8).
        var state = new EtirState(Operators.Parse("O[b,f,p] += I[b,c,p] * W[f,c]", "b=2,f=16,p=64,c=64"), Schedule.Parse("block=1x16x16 thread=1x2x4 reduce=32 shared=I prefetch=1"));
        Assert.Equal(16, OperatorAnalysis.Of(state.Operator).Copy(0, state.Schedule).IterationsPerThread);

        var kernel = KernelLowering.Lower(state);

        Assert.DoesNotContain(kernel.Statements.SelectMany(s => s.Walk()).OfType<IrStmt.Declare>(), d => d.Variable.Name.StartsWith("g_ck", StringComparison.Ordinal));
        Assert.DoesNotContain(kernel.Statements.SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()), e => e is IrExpr.Select);
        var measurement = fixture.Run(state, "NoCarries", seed: 13);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Padded I (runs c, y and x of 12, 4 and 10; a step of 128 threads): each of the 3 later chunks carries
    // out of x and on into c, 6; W (runs of 108 weights per filter): each of its 6 later chunks into the next
    // filter, 6.
    [InlineData(PaddedConv, PaddedShape, "block=8x2x8 thread=1x1x1 reduce=12x3x3 shared=I,W", 12)]
    // I's runs of 40 (whole rows of 10): its 4 later chunks carry, 8 elements on each; W's runs of 144 weights:
    // 7 of its 8 later chunks (the last one lies 1024 = 7 x 144 + 16 on, and no first chunk is 128 from a run's end).
    [InlineData(Operators.ConvChw, Shape, Staged, 11)]
    // A 1x1 convolution's I box whose first chunks never reach a carry.
    [InlineData("O[b,f,p] += I[b,c,p] * W[f,c]", "b=2,f=16,p=64,c=64", "block=1x16x16 thread=1x2x4 reduce=32 shared=I", 0)]
    public void The_cost_model_counts_the_carries_a_stage_tests(string compute, string shape, string schedule, int expected)
    {
        // Without the prefetch a stage copies each chunk once: one declaration per carry that a chunk may make.
        var state = new EtirState(Operators.Parse(compute, shape), Schedule.Parse(schedule));
        var analysis = OperatorAnalysis.Of(state.Operator);
        var tile = new int[analysis.AxisCount];
        analysis.BlockStageTile(state.Schedule, tile);
        var counted = Enumerable.Range(0, analysis.ReadCount).Where(r => OperatorAnalysis.IsShared(state.Schedule, analysis.ReadTensor(r)))
            .Sum(r =>
            {
                var (width, _, _, iterations) = analysis.CopyShape(r, state.Schedule, tile);
                return analysis.CopyCarries(r, state.Schedule, tile, width, iterations);
            });

        var kernel = KernelLowering.Lower(state);
        var stages = kernel.Statements.OfType<IrStmt.For>().Single(loop => loop.Index.Name == "g_st");
        var tested = stages.Body.Walk().OfType<IrStmt.Declare>().Count(d => d.Variable.Name.StartsWith("g_ck", StringComparison.Ordinal));

        Assert.Equal((expected, expected), (tested, counted));
    }

    [Fact]
    public void The_cost_model_charges_a_looped_copy_its_divisions_and_prefers_the_unrolled_one()
    {
        // Batch-1 ResNet-50's s4_conv3x3 on h100: 18 chunks of W a stage (runs of 16 filters and 72 weights, a step of
        // 64 threads that carries) are a loop that divides per chunk; by fours (vector=4) 5 chunks, unrolled.
        var op = Operators.Parse("O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]", "b=1,f=512,y=7,x=7,c=512,r=3,s=3");
        var looped = Schedule.Parse("block=1x16x8x8 thread=1x4x2x2 reduce=8x3x3 shared=W pad=4 buffers=2 async=1 split=16");
        var unrolled = Schedule.Parse("block=1x16x8x8 thread=1x4x4x1 reduce=8x3x3 shared=W vector=4 pad=4 buffers=2 async=1 split=16");
        var analysis = OperatorAnalysis.Of(op);
        var tile = new int[analysis.AxisCount];
        analysis.BlockStageTile(looped, tile);
        var w = Enumerable.Range(0, analysis.ReadCount).Single(r => analysis.ReadTensor(r) == "W");
        var (width, _, _, iterations) = analysis.CopyShape(w, looped, tile);

        // Per chunk: the remainder by 72 (3) and the quotient by 72 (2) and remainder by 16 (1), a multiply-add into
        // each offset per run (4), the element and the bounds test (2).
        Assert.Equal(18, iterations);
        Assert.Equal(18 * 12, analysis.CopyDivisionInstructions(w, looped, tile, width, iterations));
        // (split=16: a block's slice of the stages is the loop over g_sl)
        var stages = KernelLowering.Lower(new EtirState(op, looped)).Statements.OfType<IrStmt.For>().Single(loop => loop.Index.Name == "g_sl");
        Assert.Contains(stages.Body.Walk().OfType<IrStmt.For>(), loop => loop.Index.Name.StartsWith("g_it", StringComparison.Ordinal));
        Assert.Equal(0, analysis.CopyDivisionInstructions(w, looped with { AsyncCopy = false, RegisterPrefetch = true }, tile, width, iterations));

        // ptxas 11.8 for sm_90 agrees: looped 2,473 SASS instructions, 186 IMAD; by fours 2,325 and 38.
        Assert.True(Gensor.Construction.Cost.CostModel.EstimateMs(op, unrolled, BuiltInProfiles.H100) < Gensor.Construction.Cost.CostModel.EstimateMs(op, looped, BuiltInProfiles.H100));
    }

    /// <summary>The initial values of the declarations named <paramref name="name"/>.</summary>
    private static IrExpr[] DigitInits(KernelIr kernel, string name) =>
        [.. kernel.Statements.OfType<IrStmt.Declare>().Where(d => d.Variable.Name == name).Select(d => d.Init!)];

    /// <summary>The loads of <paramref name="tensor"/> from global memory, through windows or not.</summary>
    private static IrExpr.Load[] GlobalLoads(KernelIr kernel, string tensor) =>
        [.. KernelLoads.Of(kernel).Where(l => l.Buffer.Scope == BufferScope.Global && l.Buffer.Tensor == tensor)];

    /// <summary>The divisions and remainders by constants in the declarations of the variables named <paramref name="prefix"/>..., once each, sorted.</summary>
    private static (BinaryOperator, long)[] Divisions(KernelIr kernel, string prefix) =>
        [.. kernel.Statements.OfType<IrStmt.Declare>()
            .Where(d => d.Variable.Name.StartsWith(prefix, StringComparison.Ordinal) && d.Init is not null)
            .SelectMany(d => d.Init!.Walk()).OfType<IrExpr.Binary>()
            .Where(b => b.Op is BinaryOperator.IndexDivide or BinaryOperator.IndexRemainder && b.Right is IrExpr.Int)
            .Select(b => (b.Op, ((IrExpr.Int)b.Right).Value)).Distinct().Order()];
}
