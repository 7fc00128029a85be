using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Split-K (<c>split=N</c>): N blocks per block tile, each a slice of the reduction's stages,
/// add their partial sums into the output atomically; the output is cleared before each launch.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class SplitReduceTests(CpuDeviceFixture fixture)
{
    public static TheoryData<string, string, string> Kernels => new()
    {
        { "y[i] += A[i,j] * x[j]", "i=64,j=256", "block=32 thread=1 reduce=32 split=4" },
        { "y[i] += A[i,j] * x[j]", "i=64,j=256", "block=8 thread=1 reduce=16 shared=A vector=4 rthreads=4 split=16" },
        // Ragged m, prefetch, double buffering and reduce threads together; 12 stages in 3 slices.
        { "C[m,n] += A[m,k] * B[k,n]", "m=40,n=32,k=96", "block=16x32 thread=2x2 reduce=8 shared=A,B vector=2 prefetch=1 buffers=2 rthreads=2 split=3" },
        // An odd number of stages per slice: each slice's first stage is in buffer 0.
        { "C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=48", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 prefetch=1 buffers=2 split=2" },
        // Stages over three reduce axes, sliced in their flat order.
        { Operators.ConvChw, "f=16,y=6,x=6,c=8,r=3,s=3", "block=8x4x6 thread=1x1x3 reduce=2x3x1 shared=W split=12" },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void A_split_kernel_matches_the_reference(string compute, string shape, string schedule)
    {
        var op = Operators.Parse(compute, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.Null(Legality.Check(op, state.Schedule, BuiltInProfiles.Cpu));

        var measurement = fixture.Run(state, "SplitKernel", seed: 5);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public async Task A_split_kernel_whose_partial_sums_are_NaN_finishes_and_matches_the_reference()
    {
        // Rows with b[i] < 0 sum square roots of negative values: NaN partial sums, added by two blocks into one
        // element. ILGPU's CPU float add retried forever on a NaN (found by fuzzing: tune never returned).
        var op = Operators.Parse("y[i] += sqrt(A[i,j] * A[i,j] * b[i])", "i=64,j=32");
        var state = new EtirState(op, Schedule.Parse("block=32 thread=1 reduce=8 split=2"));

        // A hang fails the test (TimeoutException) instead of stalling the run.
        var measurement = await Task.Run(() => fixture.Run(state, "SplitNaN", seed: 5)).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(measurement.Verified, measurement.Error);
        Assert.Contains("AddPartialSum(", CSharpKernelGenerator.Generate(state, "SplitNaN").Text);
    }

    [Fact]
    public void Blocks_of_a_split_add_into_the_output_and_the_contract_says_to_clear_it()
    {
        var op = Operators.Parse("y[i] += A[i,j] * x[j]", "i=64,j=256");
        var whole = new EtirState(op, Schedule.Parse("block=32 thread=1 reduce=32"));
        var split = new EtirState(op, Schedule.Parse("block=32 thread=1 reduce=32 split=4"));

        var kernel = CSharpKernelGenerator.Lower(split);
        var contract = LaunchContract.Of(split);

        Assert.NotEmpty(kernel.Statements.OfType<IrStmt.AtomicAdd>());
        Assert.DoesNotContain(kernel.Statements.OfType<IrStmt.Store>(), store => store.Buffer.Scope == BufferScope.Global);
        Assert.Equal(2, kernel.Statements.OfType<IrStmt.For>().Single(loop => loop.Index.Name == "g_sl").Trips);
        Assert.Equal(4 * LaunchContract.Of(whole).GridSize, contract.GridSize);
        Assert.True(contract.AddsIntoOutput);
        Assert.False(LaunchContract.Of(whole).AddsIntoOutput);
        Assert.Empty(CSharpKernelGenerator.Lower(whole).Statements.OfType<IrStmt.AtomicAdd>());
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=64", null, "block=32x32 thread=4x4 reduce=8 split=3", "does not divide the 8 stages")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=64", "relu(C[m,n])", "block=32x32 thread=4x4 reduce=8 split=2", "epilogue")]
    [InlineData("C[m,n] max= A[m,k]", "m=32,n=32,k=64", null, "block=32x32 thread=4x4 reduce=8 split=2", "no sum to split")]
    [InlineData("C[m,n] = A[n,m] * 2", "m=32,n=32", null, "block=32x32 thread=4x4 reduce=- split=2", "no sum to split")]
    public void A_split_needs_a_plain_float32_sum_in_equal_slices(string compute, string shape, string? epilogue, string schedule, string reason)
    {
        var op = Operators.Parse(compute, shape, epilogue);

        var why = Legality.Check(op, Schedule.Parse(schedule), BuiltInProfiles.H100);

        Assert.NotNull(why);
        Assert.Contains(reason, why);
    }

    [Fact]
    public void The_schedule_text_carries_the_split_and_leaves_it_out_when_there_is_none()
    {
        var split = Schedule.Parse("block=32 thread=1 reduce=32 split=4");

        Assert.Equal(4, split.SplitReduce);
        Assert.EndsWith(" split=4", split.ToString());
        Assert.Equal(split, Schedule.Parse(split.ToString()));
        Assert.DoesNotContain("split", Schedule.Parse("block=32 thread=1 reduce=32").ToString());
        Assert.Throws<FormatException>(() => Schedule.Parse("block=32 thread=1 reduce=32 split=0"));
    }
}
