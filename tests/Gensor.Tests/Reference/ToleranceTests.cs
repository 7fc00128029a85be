using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Xunit;

namespace Gensor.Tests.Reference;

/// <summary>Verification follows the element types: the forward error bound of the float32 arithmetic, TF32 inputs, and one rounding of a 16-bit output.</summary>
public sealed class ToleranceTests
{
    private static Operator Build(string compute, string shape, string dtype, Dictionary<string, string>? dtypes = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null) with { Dtype = dtype, Dtypes = dtypes });

    private static VerificationResult CopyOf(string dtype, float input, float got)
    {
        var op = Build("C[i] = A[i]", "i=1", dtype);
        var reference = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [input] });
        return Verifier.Compare(reference, [got]);
    }

    private static Dictionary<string, float[]> Ones(Operator op) => Filled(op, 1f);

    private static Dictionary<string, float[]> Halves(Operator op) => Filled(op, 0.5f);

    private static Dictionary<string, float[]> Filled(Operator op, float value) =>
        op.Inputs.ToDictionary(tensor => tensor.Name, tensor => Enumerable.Repeat(value, (int)tensor.ElementCount).ToArray());

    [Fact]
    public void An_f16_output_may_be_off_by_half_a_step() => Assert.True(CopyOf("f16", 1f, 1f + MathF.Pow(2, -11)).Passed);

    [Fact]
    public void An_f16_output_off_by_a_whole_step_fails() => Assert.False(CopyOf("f16", 1f, 1f + MathF.Pow(2, -10)).Passed);

    [Fact]
    public void A_bf16_output_may_be_off_by_half_a_step_but_not_a_whole_one()
    {
        Assert.True(CopyOf("bf16", 1f, 1f + MathF.Pow(2, -8)).Passed);
        Assert.False(CopyOf("bf16", 1f, 1f + MathF.Pow(2, -7)).Passed);
    }

    [Fact]
    public void A_float32_output_gets_no_output_rounding() => Assert.False(CopyOf("f32", 1f, 1f + MathF.Pow(2, -11)).Passed);

    [Fact]
    public void An_f16_result_beyond_its_range_is_infinity_in_the_reference()
    {
        var op = Build("C[i] = A[i] * 1000", "i=1", "f16");

        var reference = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [100f] });

        Assert.Equal(double.PositiveInfinity, reference.Values[0]);
        // The kernel must give that infinity, but a lone infinity checks no arithmetic: nothing is verified.
        var matched = Verifier.Compare(reference, [float.PositiveInfinity]);
        Assert.False(matched.Passed);
        Assert.Equal(-1, matched.FirstBadIndex);
        Assert.Equal(0, Verifier.Compare(reference, [65504f]).FirstBadIndex);
    }

    [Fact]
    public void Sixteen_bit_inputs_with_a_float32_output_are_judged_as_float32_arithmetic()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=256", "f16", new() { ["C"] = "f32" });

        var reference = ReferenceEvaluator.Evaluate(op, Ones(op));

        Assert.Null(reference.Output);
        Assert.Equal(FloatFormat.Float32, reference.Format);
    }

    [Fact]
    public void The_bound_grows_with_the_reduction_length()
    {
        // Halves, not ones: a sum of integers within the significand is exact, with no bound to grow.
        var shortSum = Build("C[m] += A[m,k]", "m=2,k=16", "f16");
        var longSum = Build("C[m] += A[m,k]", "m=2,k=4096", "f16");

        Assert.True(ReferenceEvaluator.Evaluate(longSum, Halves(longSum)).ErrorBounds[0] > ReferenceEvaluator.Evaluate(shortSum, Halves(shortSum)).ErrorBounds[0]);
        Assert.Equal(0, ReferenceEvaluator.Evaluate(longSum, Ones(longSum)).ErrorBounds[0]);
    }

    [Fact]
    public void Tf32_inputs_add_their_rounding_per_term()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=1,n=1,k=64", "f32");

        var difference = ReferenceEvaluator.Evaluate(op, Ones(op), Tolerance.Of(op, tf32: true)).ErrorBounds[0]
            - ReferenceEvaluator.Evaluate(op, Ones(op)).ErrorBounds[0];

        // Each of the 64 products has two inputs each off by up to 2^-11 of itself.
        var expected = 64 * 2 * Math.Pow(2, -11);
        Assert.InRange(difference, expected, expected * 1.01);
    }

    [Fact]
    public void The_rule_is_stated_with_its_constants() =>
        Assert.Equal("|err| <= 2*bound(float32 operations, 128-term sum) + 2^-11*|x| (f16 output)",
            Tolerance.Of(Build("C[m] += A[m,k]", "m=2,k=128", "f16")).ToString());

    [Fact]
    public void A_maximum_is_stated_as_one_not_as_a_sum() =>
        Assert.Equal("|err| <= 2*bound(float32 operations, 9-term maximum (exact)) + 2^-8*|x| (bf16 output)",
            Tolerance.Of(Build("O[c,y] max= I[c,y*2+r-1]", "c=2,y=4,r=9", "bf16")).ToString());
}
