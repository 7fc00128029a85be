using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Xunit;

namespace Gensor.Tests.Reference;

/// <summary>Verification tolerances follow the output type, the accumulator and the reduction length.</summary>
public sealed class ToleranceTests
{
    private static Operator Build(string compute, string shape, string dtype, Dictionary<string, string>? dtypes = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null) with { Dtype = dtype, Dtypes = dtypes });

    private static VerificationResult CopyOfOne(string dtype, float got)
    {
        var op = Build("C[i] = A[i]", "i=1", dtype);
        var reference = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [1f] });
        return Verifier.Compare(op, reference, [got]);
    }

    [Fact]
    public void An_f16_output_may_be_off_by_half_a_step() => Assert.True(CopyOfOne("f16", 1f + MathF.Pow(2, -11)).Passed);

    [Fact]
    public void An_f16_output_off_by_a_whole_step_fails() => Assert.False(CopyOfOne("f16", 1f + MathF.Pow(2, -10)).Passed);

    [Fact]
    public void A_bf16_output_may_be_off_by_half_a_step_but_not_a_whole_one()
    {
        Assert.True(CopyOfOne("bf16", 1f + MathF.Pow(2, -8)).Passed);
        Assert.False(CopyOfOne("bf16", 1f + MathF.Pow(2, -7)).Passed);
    }

    [Fact]
    public void A_float32_output_gets_no_output_rounding() => Assert.False(CopyOfOne("f32", 1f + MathF.Pow(2, -11)).Passed);

    [Fact]
    public void Sixteen_bit_inputs_with_a_float32_output_are_judged_as_float32_accumulation()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=256", "f16", new() { ["C"] = "f32" });

        var tolerance = Tolerance.Of(op);

        Assert.Equal(ElementType.F32, tolerance.Output);
        Assert.Equal(4.0 * 256 * Math.Pow(2, -24) * 10.0, tolerance.Allowed(0.0, 10.0) - Tolerance.RelativeSlack, 12);
    }

    [Fact]
    public void The_allowance_grows_with_the_reduction_length()
    {
        var shortSum = Tolerance.Of(Build("C[m] += A[m,k]", "m=2,k=16", "f16"));
        var longSum = Tolerance.Of(Build("C[m] += A[m,k]", "m=2,k=4096", "f16"));

        Assert.True(longSum.Allowed(1.0, 100.0) > shortSum.Allowed(1.0, 100.0));
    }

    [Fact]
    public void Tf32_inputs_add_their_rounding_per_term()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=64", "f32");

        var difference = Tolerance.Of(op, tf32: true).Allowed(0.0, 8.0) - Tolerance.Of(op).Allowed(0.0, 8.0);

        Assert.Equal(2.0 * Math.Pow(2, -11) * 8.0, difference, 12);
    }

    [Fact]
    public void The_rule_is_stated_with_its_constants() =>
        Assert.Equal("|err| <= 1e-5*max(1,|x|) + 4*128*2^-24*sum|terms| + 2^-11*|x| (f16 output)",
            Tolerance.Of(Build("C[m] += A[m,k]", "m=2,k=128", "f16")).ToString());
}
