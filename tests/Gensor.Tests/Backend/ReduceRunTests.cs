using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Primitives;
using Gensor.Construction.Space;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Reduce runs (<c>run=4</c>): each thread takes four consecutive points of the innermost reduce axis, and a staged
/// box contiguous along that axis in memory keeps its tensor's order in shared memory, so its copy moves 16-byte
/// vectors (a transposed box is copied element by element) and a run's operands of a row load as one 128-bit load.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ReduceRunTests(CpuDeviceFixture fixture)
{
    private const string Gemm = "C[m,n] += A[m,k] * B[k,n]";
    private const string PointwiseConv = "O[b,f,y,x] += I[b,c,y,x] * W[f,c]";
    private const string Dense = "O[b,n] += X[b,k] * W[n,k]";
    private const string Context = "O[h,i,d] += P[h,i,j] * V[h,j,d]";

    [Theory]
    // A row-major A staged in its order beside B[k,n] (stored as in memory anyway), with the register prefetch (16-byte shared stores).
    [InlineData(Gemm, "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=16 shared=A,B vector=4 prefetch=1 buffers=2 run=4")]
    // Asynchronous copies, ragged m and n (k whole: a run never crosses the axis's end), padded rows.
    [InlineData(Gemm, "m=50,n=70,k=32", "block=32x64 thread=4x4 vthread=2x1 reduce=16 shared=A,B vector=4 pad=4 buffers=2 async=1 run=4")]
    // A 1x1 convolution's W[f,c] (a stage of 8 channels: two runs) with split-K.
    [InlineData(PointwiseConv, "b=2,f=32,y=4,x=4,c=32", "block=2x32x16 thread=1x4x4 reduce=8 shared=I,W vector=4 buffers=2 async=1 run=4 split=2")]
    // Both operands contiguous along k (a dense layer's X and W): both stored in their order, single-buffered.
    [InlineData(Dense, "b=8,n=40,k=64", "block=8x32 thread=2x4 reduce=16 shared=X,W vector=4 run=4")]
    // W staged, X read from global memory: each thread's run of X[b,k] loads as one 128-bit vector.
    [InlineData(Dense, "b=8,n=32,k=64", "block=8x32 thread=2x4 reduce=16 shared=W vector=4 buffers=2 async=1 run=4")]
    // With four reduce lanes: lane l takes points 4l..4l+3 of every 16.
    [InlineData(Dense, "b=4,n=64,k=128", "block=4x32 thread=1x4 reduce=32 shared=W vector=4 buffers=2 async=1 rthreads=4 run=4")]
    // Attention's context: P[h,i,j] staged in its order, V read from global memory.
    [InlineData(Context, "h=2,i=32,d=16,j=64", "block=1x32x16 thread=1x4x4 reduce=16 shared=P vector=4 buffers=2 async=1 run=4")]
    public void Reduce_runs_match_the_reference(string compute, string shape, string schedule)
    {
        var state = new EtirState(Operators.Parse(compute, shape), Schedule.Parse(schedule));
        var analysis = OperatorAnalysis.Of(state.Operator);
        Assert.Null(analysis.CheckStructure(state.Schedule));
        Assert.Equal(4, analysis.ReduceLaneRun(state.Schedule));

        var measurement = fixture.Run(state, "ReduceRun", seed: 13);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_run_stores_a_row_major_operand_in_its_order_and_copies_and_loads_it_in_16_byte_vectors()
    {
        var conv = Operators.Parse(PointwiseConv, "b=32,f=256,y=14,x=14,c=1024");
        var without = Schedule.Parse("block=32x64x4 thread=2x8x4 reduce=16 shared=I,W vector=4 buffers=2 async=1 split=2");
        var with = without with { ReduceRun = 4 };
        var analysis = OperatorAnalysis.Of(conv);
        var w = 1;

        // W[f,c] is stored c-major (transposed) without a run and f-major, as in memory, with one.
        Assert.Equal([1, 0], analysis.Layout(w, without).Order.ToArray());
        Assert.Equal([0, 1], analysis.Layout(w, with).Order.ToArray());
        // I[b,c,y,x] is contiguous along the pixels, not c: stored c-major either way.
        Assert.Equal(analysis.Layout(0, without).Order, analysis.Layout(0, with).Order);

        CopyWidths(without, out var copiedWithout);
        CopyWidths(with, out var copiedWith);
        Assert.Equal([1], copiedWithout);
        Assert.Equal([4], copiedWith);
        // A run's four operands of each of a thread's 8 rows of W: one 128-bit load per row and run.
        Assert.Equal(8, analysis.SharedLoadsPerPoint(w, with) * 4);

        // An unstaged input contiguous along k loads each thread's run as one vector (X of a dense layer, W staged).
        var dense = Operators.Parse(Dense, "b=8,n=32,k=64");
        var wStaged = Schedule.Parse("block=8x32 thread=2x4 reduce=16 shared=W vector=4 buffers=2 async=1 run=4");
        Assert.Equal(4, OperatorAnalysis.Of(dense).GlobalVectorWidth(0, wStaged));
        Assert.Equal(1, OperatorAnalysis.Of(dense).GlobalVectorWidth(0, wStaged with { ReduceRun = 1 }));

        void CopyWidths(Schedule schedule, out int[] widths) =>
            widths = [.. CSharpKernelGenerator.Lower(new EtirState(conv, schedule)).Statements.OfType<IrStmt.AsyncCopy>()
                .Where(copy => copy.Global.Tensor == "W").Select(copy => copy.Width).Distinct().Order()];
    }

    [Fact]
    public void The_model_counts_a_runs_vector_copies_as_fewer_instructions_and_its_operands_as_more_registers()
    {
        // Batch-32 s3_reduce's first candidate for h100 at bafdcf9 (with the run) and the same without it. Without the
        // run W is stored c-major and a thread's 8 filters are two chunks of 4 rows (vthread 4): 128-bit shared loads of
        // W take a chunk of 4, the copy one element each. With the run both go by fours along c.
        var conv = Operators.Parse(PointwiseConv, "b=32,f=256,y=14,x=14,c=1024");
        var without = Schedule.Parse("block=16x128x4 thread=2x8x4 vthread=1x4x1 reduce=16 shared=I,W vector=4 pad=4 buffers=2 async=1 split=2");
        var with = without with { ReduceRun = 4 };

        // At one register count, so that only the loads and copies differ.
        var plain = CostModel.Breakdown(conv, without, BuiltInProfiles.H100, registersPerThread: 128);
        var run = CostModel.Breakdown(conv, with, BuiltInProfiles.H100, registersPerThread: 128);
        Assert.Equal(plain.Issue.FmaPerStage, run.Issue.FmaPerStage);
        Assert.True(run.Issue.LoadsPerStage < plain.Issue.LoadsPerStage, $"{run.Issue.LoadsPerStage} >= {plain.Issue.LoadsPerStage}");
        Assert.True(run.Issue.InstructionsPerStage < plain.Issue.InstructionsPerStage, $"{run.Issue.InstructionsPerStage} >= {plain.Issue.InstructionsPerStage}");
        Assert.True(run.TotalMs < plain.TotalMs);
        // A run's four points of operands are held at once.
        var analysis = OperatorAnalysis.Of(conv);
        Assert.True(analysis.RegistersPerThread(with) > analysis.RegistersPerThread(without));
    }

    [Theory]
    // The last stage would end inside a run.
    [InlineData(Gemm, "m=64,n=64,k=40", "block=32x32 thread=4x4 reduce=16 shared=A,B vector=4 run=4", "does not divide")]
    // A step of two points holds no run of four.
    [InlineData(Gemm, "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=2 shared=A,B vector=4 run=4", "not a multiple")]
    // Staging B alone: B[k,n] is stored as in memory anyway, so the run would reorder nothing.
    [InlineData(Gemm, "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=16 shared=B vector=4 run=4", "no staged input")]
    [InlineData(Gemm, "m=64,n=64,k=64", "block=32x32 thread=4x4 reduce=16 shared=A,B vector=4 run=2", "1 or 4")]
    public void A_run_is_refused_where_it_cannot_be_whole_or_would_change_no_box(string compute, string shape, string schedule, string reason)
    {
        var refusal = OperatorAnalysis.Of(Operators.Parse(compute, shape)).CheckStructure(Schedule.Parse(schedule));

        Assert.NotNull(refusal);
        Assert.Contains(reason, refusal);
    }

    [Fact]
    public void The_run_is_a_field_of_the_text_the_json_and_the_space()
    {
        var schedule = Schedule.Parse("block=32x32 thread=4x4 reduce=16 shared=A,B vector=4 run=4");
        Assert.Equal(4, schedule.ReduceRun);
        Assert.Equal(schedule, Schedule.Parse(schedule.ToString()));
        Assert.NotEqual(schedule, schedule with { ReduceRun = 1 });
        Assert.Equal(4, (int)Gensor.Tuning.Reports.EtirJson.Schedule(schedule)["reduce_run"]!);
        Assert.False(Gensor.Tuning.Reports.EtirJson.Schedule(schedule with { ReduceRun = 1 }).ContainsKey("reduce_run"));

        // A row-major A gives the space its runs, reached by the primitive; a GEMV's x[k] is stored as in memory
        // anyway, and an operator without a reduction has no run.
        var gemm = Operators.Parse(Gemm, "m=64,n=64,k=64");
        Assert.Equal([1, 4], ScheduleSpace.For(gemm).ReduceRuns(anyStaged: true));
        Assert.True(ScheduleSpace.For(gemm).Contains(schedule));
        Assert.False(ScheduleSpace.For(gemm).Contains(schedule with { SharedInputs = [], VectorWidth = 1 }));
        Assert.Equal([1], ScheduleSpace.For(Operators.Parse("y[m] += x[k] * A[k,m]", "m=64,k=64")).ReduceRuns(anyStaged: true));
        Assert.Equal([1], ScheduleSpace.For(Operators.Parse("B[m,n] = A[m,n] * 2", "m=64,n=64")).ReduceRuns(anyStaged: true));
        // A 3x3 window's innermost reduce axis (s, extent 3) holds no run of four, though W[f,c,r,s] is contiguous along it.
        Assert.Equal([1], ScheduleSpace.For(Operators.Parse("O[f,y,x] += I[c,y+r,x+s] * W[f,c,r,s]", "f=8,y=6,x=6,c=8,r=3,s=3")).ReduceRuns(anyStaged: true));
        var toggled = PrimitiveSet.ApplyLegal(new ToggleReduceRun(), gemm, schedule with { ReduceRun = 1 }, BuiltInProfiles.H100).Schedule;
        Assert.Equal(schedule, toggled);
    }

    [Fact]
    public void Ptxas_copies_a_runs_row_major_box_with_16_byte_LDGSTS_only()
    {
        // Batch-32 ResNet-50's s3_reduce, the tile of its h100 pick at 517fa7c with a stage of 16 channels, W[f,c] transposed: per
        // stage and thread 16 cp.async of 4 bytes for W and 8 of 16 bytes for I (ptxas 11.8, sm_90). With a run W's
        // rows go as 16-byte copies too: 4 for W, 12 in all, and the multiply-adds read both boxes with LDS.128.
        var conv = Operators.Parse(PointwiseConv, "b=32,f=256,y=14,x=14,c=1024");
        var without = Schedule.Parse("block=32x64x4 thread=2x8x4 reduce=16 shared=I,W vector=4 buffers=2 async=1 split=2");
        var with = without with { ReduceRun = 4 };

        var compiled = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(conv, [without, with], BuiltInProfiles.H100);

        var (before, after) = (compiled[0].Resources?.Instructions, compiled[1].Resources?.Instructions);
        Assert.True(before is not null && after is not null, compiled[0].Error ?? compiled[1].Error ?? "no resources");
        Assert.Equal((24, 0), (before.Ldgsts, before.Ldg));
        Assert.Equal((12, 0), (after.Ldgsts, after.Ldg));
        Assert.Equal(before.Ffma, after.Ffma);
        Assert.Equal(after.Lds, after.Lds128);
        Assert.True(after.Ffma / (double)(after.Lds + after.Ldgsts) >= 12, $"{after.Ffma} FFMA, {after.Lds} LDS, {after.Ldgsts} LDGSTS");
        Assert.Equal(0, compiled[1].Resources!.SpillStoreBytes);
    }
}
