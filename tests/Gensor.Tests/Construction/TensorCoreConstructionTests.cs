using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Hardware;
using Xunit;

namespace Gensor.Tests.Construction;

/// <summary>Tensor-core schedules as a construction choice: their legality, their cost, and when policies pick them.</summary>
public sealed class TensorCoreConstructionTests
{
    private static Operator Gemm(string dtype, string shape = "m=4096,n=4096,k=4096", string? epilogue = null) =>
        OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", shape, "gemm", epilogue) with { Dtype = dtype });

    private static Schedule Mma(string text) => Schedule.Parse(text + " mma=m16n8k16");

    [Fact]
    public void A_warp_tiled_schedule_of_an_f16_product_is_legal_on_h100() =>
        Assert.Null(Legality.Check(Gemm("f16"), Mma("block=128x128 thread=64x32 reduce=32 shared=A,B"), BuiltInProfiles.H100));

    [Theory]
    [InlineData("block=128x128 thread=24x32 reduce=32 shared=A,B", "warp tile 24x32 is not a multiple of the MMA's 16x8")]
    [InlineData("block=128x128 thread=64x32 reduce=24 shared=A,B", "reduce step 24 is not a multiple of the MMA's k of 16")]
    [InlineData("block=128x96 thread=64x64 reduce=32 shared=A,B", "block tile 128x96 is not a multiple of the warp tile 64x64")]
    [InlineData("block=128x128 thread=64x32 reduce=32 shared=A", "a tensor-core schedule stages both operands in shared memory (shared=A,B)")]
    public void Tile_rules_are_named(string schedule, string reason) =>
        Assert.Equal(reason, Legality.Check(Gemm("f16"), Mma(schedule), BuiltInProfiles.H100));

    [Fact]
    public void Tiles_must_divide_the_product() =>
        Assert.Contains("do not divide the product's 100x4096x4096",
            Legality.Check(Gemm("f16", "m=100,n=4096,k=4096"), Mma("block=128x128 thread=64x32 reduce=32 shared=A,B"), BuiltInProfiles.H100));

    [Fact]
    public void Float32_operands_have_no_m16n8k16_mma() =>
        Assert.Contains("f16 or bf16 operands", Legality.Check(Gemm("f32"), Mma("block=128x128 thread=64x32 reduce=32 shared=A,B"), BuiltInProfiles.H100));

    [Fact]
    public void An_epilogue_is_not_a_plain_product() =>
        Assert.Contains("plain matrix product",
            Legality.Check(Gemm("f16", epilogue: "relu(C[m,n])"), Mma("block=128x128 thread=64x32 reduce=32 shared=A,B"), BuiltInProfiles.H100));

    [Fact]
    public void V100_has_no_m16n8k16_tensor_cores() =>
        Assert.Equal("v100 has no tensor cores for the m16n8k16 MMA on f16",
            Legality.Check(Gemm("f16"), Mma("block=128x128 thread=64x32 reduce=32 shared=A,B"), BuiltInProfiles.V100));

    [Fact]
    public void Fragment_registers_count_against_the_limit() =>
        Assert.Contains("registers per thread (fragments and accumulators)",
            Legality.Check(Gemm("f16"), Mma("block=256x256 thread=128x64 reduce=32 shared=A,B"), BuiltInProfiles.H100));

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    public void The_policies_choose_tensor_cores_for_a_large_16_bit_product_on_h100(string dtype)
    {
        var result = PolicyCatalog.Get("roller").Construct(Gemm(dtype), BuiltInProfiles.H100, new ConstructionOptions(TopK: 5));

        Assert.Equal(MmaShape.M16N8K16, result.Candidates[0].Schedule.Mma);
        Assert.All(result.Candidates.Where(c => c.Schedule.Mma != MmaShape.None), c => Assert.Null(Legality.Check(Gemm(dtype), c.Schedule, BuiltInProfiles.H100)));
    }

    [Fact]
    public void Float32_products_get_no_tensor_core_candidates_unless_tf32_is_allowed()
    {
        Assert.Empty(TensorCoreChoice.Schedules(Gemm("f32"), BuiltInProfiles.H100));
        Assert.All(TensorCoreChoice.Schedules(Gemm("f32"), BuiltInProfiles.H100, allowTf32: true), s => Assert.Equal(MmaShape.M16N8K8Tf32, s.Mma));
        Assert.NotEmpty(TensorCoreChoice.Schedules(Gemm("f32"), BuiltInProfiles.H100, allowTf32: true));
    }

    [Fact]
    public void Tf32_takes_float32_operands_only() =>
        Assert.Contains("the TF32 MMA multiplies f32 operands, not f16 and f16",
            Legality.Check(Gemm("f16"), Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k8tf32"), BuiltInProfiles.H100));

    [Fact]
    public void With_tf32_allowed_a_large_float32_product_runs_on_tensor_cores_on_a100()
    {
        var result = PolicyCatalog.Get("roller", allowTf32: true).Construct(Gemm("f32"), BuiltInProfiles.A100, new ConstructionOptions(TopK: 3));

        Assert.Equal(MmaShape.M16N8K8Tf32, result.Candidates[0].Schedule.Mma);
    }

    [Fact]
    public void The_tensor_core_estimate_is_bounded_by_the_tensor_core_peak()
    {
        var op = Gemm("f16");
        var best = TensorCoreChoice.Schedules(op, BuiltInProfiles.H100).Min(s => Gensor.Construction.Cost.CostModel.EstimateMs(op, s, BuiltInProfiles.H100));

        var peakMs = 2.0 * 4096 * 4096 * 4096 / (BuiltInProfiles.H100.TensorGflopsF16 * 1e9) * 1e3;
        Assert.InRange(best, peakMs, 4 * peakMs);
    }

    [Fact]
    public void The_schedule_text_carries_the_mma()
    {
        var schedule = Mma("block=128x128 thread=64x32 reduce=32 shared=A,B");

        Assert.EndsWith(" mma=m16n8k16", schedule.ToString());
        Assert.Equal(schedule, Schedule.Parse(schedule.ToString()));
        Assert.Equal(256, schedule.ThreadsPerBlock);
    }
}
