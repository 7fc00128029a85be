using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// The unrolled points of a convolution overlap (output row y + 1 at filter row r reads what row
/// y reads at r + 1): <see cref="LoadReuse"/> loads each distinct value once, in straight-line
/// code only, where nothing can change it between the two loads.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class LoadReuseTests(CpuDeviceFixture fixture)
{
    private static readonly KernelBuffer Input = new("t_I", BufferScope.Global, 64, "I");
    private static readonly KernelBuffer Window = new("g_gw0", BufferScope.Global, 64, "I");

    [Fact]
    public void A_convolution_loads_each_input_value_its_points_share_once()
    {
        // Four output rows per thread, 3x3 filter taps, all unrolled: 36 operands of I at 6 rows x 3 columns.
        var op = Operators.Parse("O[c,y,x] += I[c,y+r-1,x+s-1] * W[c,r,s]", "c=2,y=16,x=16,r=3,s=3");
        var state = new EtirState(op, Schedule.Parse("block=1x8x16 thread=1x4x1 reduce=3x3"));

        var loads = KernelLoads.Of(CSharpKernelGenerator.Lower(state)).Where(l => l.Buffer.Tensor == "I").ToArray();

        Assert.Equal(18, loads.Length);
        Assert.Equal(18, loads.Distinct().Count());
        var measurement = fixture.Run(state, "ReusedLoads", seed: 3);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // x[h+w]: positions (0,1) and (1,0) of a 2x2 thread tile read one element; 3 of x's rows per point, not 4.
    [InlineData("y[h,w] += x[h+w,k] * z[k]", "h=16,w=16,k=16", "block=16x8 thread=2x2 reduce=8 shared=x", 3)]
    // x[w+s] with runs of 4 reduce points per lane (z is contiguous along s): (w 0, place 1) and (w 1, place 0) meet; 5 of x, not 8.
    [InlineData("y[w] += x[w+s] * z[s]", "w=64,s=16", "block=64 thread=2 reduce=16 shared=x rthreads=2", 5)]
    public void Staged_operands_at_one_element_share_one_shared_load(string compute, string shape, string schedule, int loadsOfX)
    {
        // Both lowered with a register per position and failed building the kernel (two operands at one offset).
        var op = Operators.Parse(compute, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));

        // Before unrolling: one reduce point's body (a lane's run of points).
        var loads = KernelLoads.Of(KernelLowering.Lower(state)).Count(l => l.Buffer.Scope == BufferScope.Shared);

        Assert.Equal(loadsOfX, loads);
        var measurement = fixture.Run(state, "SharedElementOnce", seed: 7);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void Each_copy_of_a_partly_unrolled_channel_loop_loads_each_value_once()
    {
        // A stage of 64 channels x 3x3 taps is too long to unroll whole: the channel loop runs 8 channels
        // per iteration, each copy through its own window of I. Two output rows per thread over three
        // filter rows read 4 rows x 3 columns per channel: 12 loads, not 18 (batch-1 ResNet-50's
        // s1_conv3x3 pick loaded 144 values per iteration for 96).
        var op = Operators.Parse("O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]", "b=1,f=8,y=8,x=8,c=64,r=3,s=3");
        var schedule = Schedule.Parse("block=1x8x8x8 thread=1x4x2x1 reduce=64x3x3 shared=W vector=4");
        var state = new EtirState(op, schedule);
        var copies = Gensor.Analysis.OperatorAnalysis.PartialUnrollFactor(schedule);

        var loads = KernelLoads.Of(CSharpKernelGenerator.Lower(state)).Count(l => l.Buffer.Tensor == "I");

        Assert.True(copies > 1, $"unrolled by {copies}");
        Assert.Equal(12 * copies, loads);
        var measurement = fixture.Run(state, "ReusedLoadsPerCopy", seed: 5);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Four rows per thread over three filter rows: 6 rows x 3 columns of I, and W's 9 taps.
    [InlineData("block=1x1x16x16 thread=1x1x4x1 reduce=3x3", 27)]
    // Two channels, two rows four apart (virtual threads): the rows' windows do not overlap.
    [InlineData("block=1x2x8x16 thread=1x2x2x1 vthread=1x1x2x1 reduce=3x3", 54)]
    // Stride 2: four output rows read 9 input rows, not 12 (27 of I, 9 of W).
    [InlineData("block=1x1x8x16 thread=1x1x4x1 reduce=3x3", 36, 2)]
    public void The_cost_model_counts_the_loads_the_lowering_makes(string schedule, int loads, int stride = 1)
    {
        var op = stride == 1
            ? Operators.Parse("O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]", "n=1,c=64,y=14,x=14,r=3,s=3")
            : Operators.Parse("O[n,c,y,x] += I[n,c,2*y+r,2*x+s] * W[c,r,s]", "n=1,c=64,y=7,x=7,r=3,s=3");
        var state = new EtirState(op, Schedule.Parse(schedule));

        var lowered = KernelLoads.Of(CSharpKernelGenerator.Lower(state)).Count(l => l.Buffer.Tensor is "I" or "W");
        var estimated = Gensor.Construction.Cost.CostModel.Breakdown(op, state.Schedule, Gensor.Hardware.BuiltInProfiles.H100).Issue.LoadsPerStage;

        Assert.Equal(loads, lowered);
        Assert.Equal(loads, estimated, 9);
    }

    [Fact]
    public void Repeated_loads_in_straight_line_code_read_the_first_ones_register()
    {
        var a = new Variable("g_a", IrType.Float);
        var b = new Variable("g_b", IrType.Float);
        var body = new IrStmt.Seq([
            new IrStmt.DeclareWindow(Window, Input, IrExpr.Lin(8), 1),
            new IrStmt.Seq([new IrStmt.Declare(a, new IrExpr.Load(Window, IrExpr.Lin(3), 1))], Scoped: true),
            new IrStmt.Seq([new IrStmt.Declare(b, new IrExpr.Load(Window, IrExpr.Lin(3), 1))], Scoped: true),
        ], Scoped: true);

        var merged = LoadReuse.Apply(Kernel(body)).Body;

        Assert.Single(KernelLoads.In(merged));
        var declarations = merged.Walk().OfType<IrStmt.Declare>().ToDictionary(d => d.Variable.Name);
        var register = Assert.IsType<IrExpr.Ref>(declarations["g_b"].Init).Variable;
        Assert.Equal(register, Assert.IsType<IrExpr.Ref>(declarations["g_a"].Init).Variable);
        Assert.Null(declarations[register.Name].Init);
    }

    [Fact]
    public void A_load_after_a_store_or_through_a_window_declared_again_is_made_again()
    {
        var a = new Variable("g_a", IrType.Float);
        var b = new Variable("g_b", IrType.Float);
        // A store between the two loads: memory may have changed.
        var afterStore = new IrStmt.Seq([
            new IrStmt.Declare(a, new IrExpr.Load(Input, IrExpr.Lin(3), 1)),
            new IrStmt.Store(Input, IrExpr.Lin(3), new IrExpr.Float(1), 1),
            new IrStmt.Declare(b, new IrExpr.Load(Input, IrExpr.Lin(3), 1)),
        ], Scoped: true);
        // Each copy of a partly unrolled body declares its own window: the same name, another place.
        // Within a copy the window stays put: its second load of the same value is merged.
        var c = new Variable("g_c", IrType.Float);
        IrStmt Copy(long start, Variable first) => new IrStmt.Seq([
            new IrStmt.DeclareWindow(Window, Input, IrExpr.Lin(start), 1),
            new IrStmt.Seq([new IrStmt.Declare(first, new IrExpr.Load(Window, IrExpr.Lin(3), 1))], Scoped: true),
            new IrStmt.Seq([new IrStmt.Declare(c, new IrExpr.Load(Window, IrExpr.Lin(3), 1))], Scoped: true),
        ], Scoped: true);
        var twoWindows = new IrStmt.Seq([Copy(0, a), Copy(8, b)], Scoped: true);

        foreach (var body in new IrStmt[] { afterStore, twoWindows })
        {
            var rewritten = LoadReuse.Apply(Kernel(body)).Body;
            Assert.Equal(2, KernelLoads.In(rewritten).Length);
        }
    }

    private static KernelIr Kernel(IrStmt body) => new([Input], [], body, 1, 32);
}
