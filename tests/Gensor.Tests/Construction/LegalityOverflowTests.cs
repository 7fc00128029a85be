using Gensor.Construction;
using Gensor.Analysis;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Construction;

/// <summary>
/// Legality in 64-bit, saturating arithmetic (issue 13, item 3): sizes of absurd
/// schedules never wrap to a small number that passes a limit.
/// </summary>
public sealed class LegalityOverflowTests
{
    // A transpose: its two axes cannot fuse into one (AxisFusion), so the schedules stay two-dimensional.
    private static readonly Operator Transpose = Operators.Parse("C[m,n] = A[n,m]", "m=16,n=16");

    [Theory]
    [InlineData("block=65536x65536 thread=1x1 reduce=-")]
    [InlineData("block=2147483647x2 thread=1x1 reduce=-")]
    [InlineData("block=46341x46341 thread=1x1 reduce=-")]
    public void Threads_per_block_that_overflow_int_exceed_the_limit(string schedule)
    {
        var reason = Legality.Check(Transpose, Schedule.Parse(schedule), BuiltInProfiles.H100);

        Assert.NotNull(reason);
        Assert.Contains("threads per block exceed", reason);
        Assert.True(Schedule.Parse(schedule).ThreadsPerBlock > int.MaxValue / 2, "saturates rather than wraps");
    }

    [Fact]
    public void Outputs_per_thread_that_overflow_int_exceed_the_registers()
    {
        var reason = Legality.Check(Transpose, Schedule.Parse("block=65536x65536 thread=65536x65536 reduce=-"), BuiltInProfiles.H100);

        Assert.NotNull(reason);
        Assert.Contains("registers", reason);
    }

    [Fact]
    public void A_staged_box_too_large_for_a_long_saturates_and_is_refused()
    {
        // Built by hand: coefficients of int.MaxValue over a 65536-wide tile make a box of about 2^94 elements.
        var huge = TestOperators.Ix(0, ("m", int.MaxValue));
        var wide = TestOperators.Ix(0, ("n", int.MaxValue));
        var op = new Operator("huge", new Tensor("C", ValueArray.Of(4, 4)),
            ValueArray.Of(new Axis("m", 4, AxisKind.Spatial), new Axis("n", 4, AxisKind.Spatial)),
            ValueArray.Of(new Tensor("A", ValueArray.Of(4, 4))), Reduction.None,
            TestOperators.Read("A", huge, wide), null);
        var schedule = Schedule.Parse("block=65536x65536 thread=65536x65536 reduce=- shared=A");

        Assert.True(OperatorAnalysis.Of(op).SharedMemoryBytes(schedule) > Legality.StaticSharedMemoryLimit);
        Assert.NotNull(Legality.Check(op, schedule, BuiltInProfiles.H100));
    }

    [Fact]
    public void Extents_of_int_max_have_a_space_of_schedules()
    {
        var spatial = ScheduleSpace.For(Operators.Parse("C[m] = A[m]", "m=2147483647"));
        var reduce = ScheduleSpace.For(Operators.Parse("C[m] += A[m,k]", "m=1,k=2147483647"));

        Assert.Equal(ScheduleSpace.MaxBlockTile, spatial.BlockCap(0));
        Assert.Equal(2147483647, reduce.ReduceChoices(0)[^1]);
        Assert.All(reduce.ReduceChoices(0), step => Assert.True(step > 0));
    }
}
