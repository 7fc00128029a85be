using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// Decides whether a kernel's output matches the double-precision reference,
/// allowing for the rounding a correct kernel may incur (<see cref="Tolerance"/>:
/// float32 accumulation, TF32 inputs when allowed, a 16-bit output's rounding).
/// </summary>
public static class Verifier
{
    /// <summary>Compares <paramref name="actual"/> element by element with the reference, under <see cref="Tolerance.Of"/> unless <paramref name="tolerance"/> is given.</summary>
    /// <exception cref="ArgumentException">The arrays' lengths differ.</exception>
    public static VerificationResult Compare(Operator op, ReferenceResult reference, float[] actual, Tolerance? tolerance = null)
    {
        var expected = reference.Values;
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"output has {actual.Length} elements but the reference has {expected.Length}", nameof(actual));
        }
        var rule = tolerance ?? Tolerance.Of(op);
        var maxError = 0.0;
        var maxRatio = 0.0;
        var firstBad = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var want = expected[i];
            double got = actual[i];
            var (error, ratio) = Judge(want, got, reference.Magnitude[i], rule);
            maxError = Math.Max(maxError, error);
            maxRatio = Math.Max(maxRatio, ratio);
            if (ratio > 1.0 && firstBad < 0)
            {
                firstBad = i;
            }
        }
        return new VerificationResult(firstBad < 0, maxError, maxRatio, firstBad);
    }

    private static (double Error, double Ratio) Judge(double want, double got, double magnitude, Tolerance rule)
    {
        if (double.IsNaN(want) || double.IsNaN(got))
        {
            return double.IsNaN(want) && double.IsNaN(got) ? (0.0, 0.0) : (double.PositiveInfinity, double.PositiveInfinity);
        }
        // Compare infinities as the output type sees them: a finite double beyond its range is infinity there too.
        var wantAsStored = (double)rule.Output.Round((float)want);
        if (double.IsInfinity(wantAsStored) || double.IsInfinity(got))
        {
            return wantAsStored == got ? (0.0, 0.0) : (double.PositiveInfinity, double.PositiveInfinity);
        }
        var error = Math.Abs(got - want);
        return (error, error / rule.Allowed(want, magnitude));
    }
}
