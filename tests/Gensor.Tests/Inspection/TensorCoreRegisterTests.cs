using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;

namespace Gensor.Tests.Inspection;

/// <summary>
/// The tensor-core tiling's register estimate (<see cref="TensorCoreTiling.RegistersPerThread"/>) against
/// what ptxas allocates for the same kernel on sm_90: legality and occupancy rest on it for every
/// candidate the compiler check does not reach.
/// </summary>
public sealed class TensorCoreRegisterTests
{
    private static Operator Gemm(string dtype) => Operators.Parse(Operators.Gemm, "m=4096,n=4096,k=4096", null, dtype);

    [Theory]
    // ptxas 11.8 at 4bff9e2: 40, 72, 168 and 248 registers (estimates 32, 66, 142 and 190); one k-step's
    // fragments made them 44, 76, 116 and 188, blind to the stage's depth.
    [InlineData("f16", "block=64x64 thread=16x16 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=32x32 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=64x64 reduce=16 shared=A,B mma=m16n8k16")]
    // TF32: 64 and 128 registers (estimates 60 and 126; before, 56 and 76).
    [InlineData("f32", "block=64x128 thread=16x32 reduce=16 shared=A,B mma=m16n8k8tf32")]
    [InlineData("f32", "block=128x128 thread=32x32 reduce=32 shared=A,B mma=m16n8k8tf32")]
    public void The_estimate_is_within_a_quarter_of_ptxas(string dtype, string schedule)
    {
        var op = Gemm(dtype);
        var parsed = Schedule.Parse(schedule);
        var estimate = TensorCoreTiling.Of(op, parsed).Tiling!.RegistersPerThread;

        var result = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [parsed], BuiltInProfiles.H100).Single();

        Assert.True(result.Resources is { Spills: false }, result.Error ?? "it spills");
        Assert.InRange((double)estimate / result.Resources.Registers, 0.75, 1.25);
    }

    [Fact]
    public void A_tiling_ptxas_spills_is_illegal_for_its_registers()
    {
        // 64x64 warp tiles with a 64-deep stage: 4 k-steps of 32 fragment words and 32 copy words beside 128 accumulators (302).
        var op = Gemm("f16");
        var parsed = Schedule.Parse("block=128x128 thread=64x64 reduce=64 shared=A,B mma=m16n8k16");

        var result = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [parsed], BuiltInProfiles.H100).Single();

        Assert.True(result.Resources is { Spills: true }, result.Error ?? "it does not spill");
        Assert.Contains("registers per thread (fragments and accumulators)", Legality.Check(op, parsed, BuiltInProfiles.H100));
    }
}
