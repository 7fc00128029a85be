using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Xunit;

namespace Gensor.Tests.Reference;

public class VerifierTests
{
    private static Operator Build(string compute, string shape, string? epilogue = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue));

    private static ReferenceResult Reference(double[] values, double[] bounds) => new(values, bounds, FloatFormat.Float32);

    // A float32 matrix product accumulated in the naive order, as a simple kernel would.
    private static float[] FloatGemm(float[] a, float[] b, int size)
    {
        var c = new float[size * size];
        for (var m = 0; m < size; m++)
        {
            for (var n = 0; n < size; n++)
            {
                var sum = 0f;
                for (var k = 0; k < size; k++)
                {
                    sum += a[(m * size) + k] * b[(k * size) + n];
                }
                c[(m * size) + n] = sum;
            }
        }
        return c;
    }

    [Fact]
    public void FloatRoundingOfACorrectKernelIsAccepted()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");
        var inputs = InputGenerator.Generate(op, 42);
        var reference = ReferenceEvaluator.Evaluate(op, inputs);

        var result = Verifier.Compare(reference, FloatGemm(inputs["A"], inputs["B"], 64));

        Assert.True(result.Passed, result.Problem);
        Assert.Equal(-1, result.FirstBadIndex);
        Assert.InRange(result.MaxAllowedRatio, 0, 1);
        Assert.Equal(64 * 64, result.Checked);
        Assert.InRange(result.MaxAbsError, 0, result.Tolerance);
    }

    [Fact]
    public void AWrongElementIsRejectedAndLocated()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=16");
        var inputs = InputGenerator.Generate(op, 42);
        var reference = ReferenceEvaluator.Evaluate(op, inputs);
        var actual = FloatGemm(inputs["A"], inputs["B"], 16);
        actual[37] += 0.01f;

        var result = Verifier.Compare(reference, actual);

        Assert.False(result.Passed);
        Assert.Equal(37, result.FirstBadIndex);
        Assert.InRange(result.MaxAbsError, 0.009, 0.011);
        Assert.Contains("element 37", result.Problem);
    }

    [Fact]
    public void NaNMatchesOnlyNaN()
    {
        var reference = Reference([double.NaN, 1.0], [0, 0]);

        Assert.True(Verifier.Compare(reference, [float.NaN, 1f]).Passed);
        Assert.Equal(0, Verifier.Compare(reference, [0f, 1f]).FirstBadIndex);
        Assert.Equal(1, Verifier.Compare(reference, [float.NaN, float.NaN]).FirstBadIndex);
    }

    [Fact]
    public void InfinitiesMustMatchExactly()
    {
        // Beside a finite element: infinities alone verify nothing (see below).
        var reference = Reference([double.PositiveInfinity, 1.0], [0, 1e-7]);

        Assert.True(Verifier.Compare(reference, [float.PositiveInfinity, 1f]).Passed);
        Assert.False(Verifier.Compare(reference, [float.NegativeInfinity, 1f]).Passed);
        Assert.False(Verifier.Compare(reference, [float.MaxValue, 1f]).Passed);
    }

    [Fact]
    public void FiniteReferenceRejectsAnInfiniteResult()
    {
        Assert.False(Verifier.Compare(Reference([1.0], [1e-7]), [float.PositiveInfinity]).Passed);
    }

    [Fact]
    public void FiniteReferenceRejectsANaNResult()
    {
        var result = Verifier.Compare(Reference([1.0, 2.0], [1e-7, 1e-7]), [1f, float.NaN]);

        Assert.False(result.Passed);
        Assert.Equal(1, result.FirstBadIndex);
        Assert.Contains("NaN where the reference is 2", result.Problem);
    }

    [Fact]
    public void An_element_never_written_fails_even_where_the_reference_is_NaN()
    {
        // A kernel that skips element 0 leaves the fill there; with a NaN fill it used to pass.
        var reference = Reference([double.NaN, 1.0], [0, 0]);

        var result = Verifier.Compare(reference, [float.NaN, 1f], unwritten: [0]);

        Assert.False(result.Passed);
        Assert.Equal(0, result.FirstBadIndex);
        Assert.Contains("never written", result.Problem);
    }

    [Fact]
    public void A_reference_that_is_NaN_everywhere_verifies_nothing()
    {
        var op = Build("C[m] = (A[m] - A[m]) / 0", "m=4");
        var reference = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, 1));

        var result = Verifier.Compare(reference, [float.NaN, float.NaN, float.NaN, float.NaN]);

        Assert.False(result.Passed);
        Assert.Equal(0, result.Checked);
        Assert.Contains("nothing to check", result.Problem);
    }

    [Fact]
    public void An_output_that_overflows_everywhere_verifies_nothing()
    {
        // Every product is about 1e59, beyond float32: a kernel that writes infinities of the right
        // signs is what float32 gives, but so is one that writes them without computing anything.
        var op = Build("C[m] = A[m] * 1e30 * 1e30", "m=4");
        var reference = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, 1));
        var output = reference.Values.Select(v => (float)v).ToArray();
        Assert.All(output, v => Assert.True(float.IsInfinity(v)));

        var result = Verifier.Compare(reference, output);

        Assert.False(result.Passed);
        Assert.Equal(0, result.Checked);
        Assert.Equal(-1, result.FirstBadIndex);
        Assert.Contains("nothing to check", result.Problem);
        Assert.Contains("4 overflow float32 for certain", result.Problem);
    }

    [Fact]
    public void An_overflow_beside_finite_values_must_match_but_is_not_counted_as_checked()
    {
        var op = Build("C[m] = A[m] * 1e30 * 1e30", "m=2");
        var reference = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [0f, -0.5f] });

        var right = Verifier.Compare(reference, [0f, float.NegativeInfinity]);
        var wrongSign = Verifier.Compare(reference, [0f, float.PositiveInfinity]);

        Assert.True(right.Passed);
        Assert.Equal(1, right.Checked);
        Assert.False(wrongSign.Passed);
        Assert.Equal(1, wrongSign.FirstBadIndex);
    }

    [Fact]
    public void The_tolerance_follows_the_arithmetic_not_a_fixed_relative_slack()
    {
        // An exact copy must match exactly; a cancelling difference of large products may be off by their rounding.
        var copy = Build("C[m] = A[m]", "m=1");
        var cancel = Build("C[m] = A[m] * 1000.1 - A[m] * 1000", "m=1");
        var inputs = new Dictionary<string, float[]> { ["A"] = [0.75f] };

        var copyResult = Verifier.Compare(ReferenceEvaluator.Evaluate(copy, inputs), [0.75f + 1e-6f]);
        var exact = 0.75f * 1000.1f - 0.75f * 1000f;
        var cancelResult = Verifier.Compare(ReferenceEvaluator.Evaluate(cancel, inputs), [exact]);

        Assert.False(copyResult.Passed);
        Assert.True(cancelResult.Passed, cancelResult.Problem);
    }

    [Fact]
    public void A_float32_evaluation_of_a_thousand_term_epilogue_is_accepted()
    {
        // The epilogue as the kernel evaluates it: left to right, every operation rounded to float32.
        var terms = Enumerable.Range(1, 999).Select(i => $"B[m] * {0.1 * (i % 9 + 1):0.0}").ToArray();
        var op = Build("C[m] += A[m,k]", "m=64,k=8", "C[m] + " + string.Join(" + ", terms));
        var inputs = InputGenerator.Generate(op, 3);
        var reference = ReferenceEvaluator.Evaluate(op, inputs);
        var actual = new float[64];
        for (var m = 0; m < 64; m++)
        {
            var acc = 0f;
            for (var k = 0; k < 8; k++)
            {
                acc += inputs["A"][(m * 8) + k];
            }
            var value = acc;
            for (var i = 1; i <= 999; i++)
            {
                value += inputs["B"][m] * (float)(0.1 * (i % 9 + 1));
            }
            actual[m] = value;
        }

        var result = Verifier.Compare(reference, actual);

        Assert.True(result.Passed, result.Problem);
        Assert.True(result.MaxAbsError > 1e-4, $"the rounding is real ({result.MaxAbsError}), and more than a fixed 1e-5 would allow");
    }
}
