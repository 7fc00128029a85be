using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Xunit;

namespace Gensor.Tests.Reference;

public class VerifierTests
{
    private static Operator Build(string compute, string shape, string? epilogue = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue));

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

        var result = Verifier.Compare(op, reference, FloatGemm(inputs["A"], inputs["B"], 64));

        Assert.True(result.Passed);
        Assert.Equal(-1, result.FirstBadIndex);
        Assert.InRange(result.MaxAllowedRatio, 0, 1);
    }

    [Fact]
    public void AWrongElementIsRejectedAndLocated()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=16");
        var inputs = InputGenerator.Generate(op, 42);
        var reference = ReferenceEvaluator.Evaluate(op, inputs);
        var actual = FloatGemm(inputs["A"], inputs["B"], 16);
        actual[37] += 0.01f;

        var result = Verifier.Compare(op, reference, actual);

        Assert.False(result.Passed);
        Assert.Equal(37, result.FirstBadIndex);
        Assert.InRange(result.MaxAbsError, 0.009, 0.011);
    }

    [Fact]
    public void NaNMatchesOnlyNaN()
    {
        var op = Build("C[i] = A[i]", "i=2");
        var reference = new ReferenceResult([double.NaN, 1.0], [double.NaN, 1.0]);

        Assert.True(Verifier.Compare(op, reference, [float.NaN, 1f]).Passed);
        Assert.Equal(0, Verifier.Compare(op, reference, [0f, 1f]).FirstBadIndex);
        Assert.Equal(1, Verifier.Compare(op, reference, [float.NaN, float.NaN]).FirstBadIndex);
    }

    [Fact]
    public void InfinitiesMustMatchExactly()
    {
        var op = Build("C[i] = A[i]", "i=1");
        var reference = new ReferenceResult([double.PositiveInfinity], [double.PositiveInfinity]);

        Assert.True(Verifier.Compare(op, reference, [float.PositiveInfinity]).Passed);
        Assert.False(Verifier.Compare(op, reference, [float.NegativeInfinity]).Passed);
        Assert.False(Verifier.Compare(op, reference, [float.MaxValue]).Passed);
    }

    [Fact]
    public void FiniteReferenceRejectsAnInfiniteResult()
    {
        var op = Build("C[i] = A[i]", "i=1");

        Assert.False(Verifier.Compare(op, new ReferenceResult([1.0], [1.0]), [float.PositiveInfinity]).Passed);
    }

    [Fact]
    public void ElementwiseToleranceIsRelativeToTheValue()
    {
        var op = Build("C[i] = A[i]", "i=2");
        var reference = new ReferenceResult([1000.0, 0.0], [1000.0, 0.0]);

        Assert.True(Verifier.Compare(op, reference, [1000.005f, 5e-6f]).Passed);
        Assert.False(Verifier.Compare(op, reference, [1000.05f, 0f]).Passed);
    }
}
