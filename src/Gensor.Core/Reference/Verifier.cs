using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// Decides whether a kernel's float32 output matches the double-precision
/// reference, allowing for the rounding a correct float32 kernel may incur.
/// </summary>
public static class Verifier
{
    private const double _relativeSlack = 1e-5;

    // One float32 rounding; a sum of L terms accumulates at most about L of them (times a safety factor of 4).
    private const double _unitRoundoff = 1.0 / (1 << 24);

    /// <summary>Compares <paramref name="actual"/> element by element with the reference.</summary>
    /// <exception cref="ArgumentException">The arrays' lengths differ.</exception>
    public static VerificationResult Compare(Operator op, ReferenceResult reference, float[] actual)
    {
        var expected = reference.Values;
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"output has {actual.Length} elements but the reference has {expected.Length}", nameof(actual));
        }
        var reductionLength = op.ReductionLength;
        var transcendental = UsesTranscendental(op.Body) || (op.Epilogue is not null && UsesTranscendental(op.Epilogue));
        var maxError = 0.0;
        var maxRatio = 0.0;
        var firstBad = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var want = expected[i];
            double got = actual[i];
            var (error, ratio) = Judge(want, got, reference.Magnitude[i], reductionLength, transcendental);
            maxError = Math.Max(maxError, error);
            maxRatio = Math.Max(maxRatio, ratio);
            if (ratio > 1.0 && firstBad < 0)
            {
                firstBad = i;
            }
        }
        return new VerificationResult(firstBad < 0, maxError, maxRatio, firstBad);
    }

    private static (double Error, double Ratio) Judge(double want, double got, double magnitude, long reductionLength, bool transcendental)
    {
        if (double.IsNaN(want) || double.IsNaN(got))
        {
            return double.IsNaN(want) && double.IsNaN(got) ? (0.0, 0.0) : (double.PositiveInfinity, double.PositiveInfinity);
        }
        // Compare infinities as float32 sees them: a finite double beyond float range is infinity there too.
        var wantAsFloat = (double)(float)want;
        if (double.IsInfinity(wantAsFloat) || double.IsInfinity(got))
        {
            return wantAsFloat == got ? (0.0, 0.0) : (double.PositiveInfinity, double.PositiveInfinity);
        }
        var scale = Math.Max(1.0, Math.Abs(want));
        var accumulation = 4.0 * reductionLength * _unitRoundoff * magnitude;
        var allowed = (_relativeSlack * scale) + accumulation;
        if (transcendental)
        {
            // GPU exp/tanh are a few ulps off, and exp amplifies the accumulated error by its own value.
            allowed += (_relativeSlack * scale) + (accumulation * scale);
        }
        var error = Math.Abs(got - want);
        return (error, error / allowed);
    }

    private static bool UsesTranscendental(Expr expr) => expr switch
    {
        Unary { Op: UnaryOp.Exp or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Sqrt } => true,
        Unary unary => UsesTranscendental(unary.Operand),
        Binary binary => UsesTranscendental(binary.Left) || UsesTranscendental(binary.Right),
        _ => false,
    };
}
