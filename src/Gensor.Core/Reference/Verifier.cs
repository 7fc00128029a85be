using System.Globalization;

namespace Gensor.Reference;

/// <summary>
/// Decides whether a kernel's output matches the double-precision reference,
/// allowing for the rounding a correct kernel may incur: each element's
/// tolerance is twice the forward error bound the reference carries for it
/// (<see cref="ReferenceResult.ErrorBounds"/>), which follows from the
/// operations of the expression, the reduction length and the magnitudes
/// involved, in the unit roundoff of the kernel's format (TF32 inputs
/// included, see <see cref="Reference.Tolerance"/>). A 16-bit output adds its
/// one rounding at the store, u_out times the value, outside the factor: it
/// is exact, not first-order. A NaN or an infinity is right only where the
/// reference has the same one.
/// </summary>
public static class Verifier
{
    /// <summary>
    /// Twice the first-order bound: the bound drops second-order terms (products
    /// of two roundings), and the factor covers them for any reduction short
    /// enough to be verified at all (n u below 1/2).
    /// </summary>
    public const double Safety = 2.0;

    /// <summary>The tolerance of an element whose reference error bound is <paramref name="bound"/>.</summary>
    public static double Tolerance(double bound, FloatFormat format) => (Safety * bound) + format.MinNormal;

    /// <summary>
    /// The tolerance of an element whose reference value is <paramref name="want"/>, stored in
    /// <paramref name="output"/> (null: no narrower type): the value, already off by at most
    /// <see cref="Tolerance(double, FloatFormat)"/>, is rounded once more, by at most u_out of
    /// itself, or half a subnormal step.
    /// </summary>
    public static double Tolerance(double want, double bound, FloatFormat format, FloatFormat? output)
    {
        var allowed = Tolerance(bound, format);
        return output is null ? allowed
            : allowed + (output.UnitRoundoff * (Math.Abs(want) + allowed)) + (output.UnitRoundoff * output.MinNormal);
    }

    /// <summary>Compares <paramref name="actual"/> element by element with the reference.</summary>
    /// <param name="reference">The reference values and their error bounds.</param>
    /// <param name="actual">The kernel's output.</param>
    /// <param name="unwritten">Elements the kernel is known not to have written (null: none known); each fails.</param>
    /// <exception cref="ArgumentException">The arrays' lengths differ.</exception>
    public static VerificationResult Compare(ReferenceResult reference, float[] actual, IReadOnlyCollection<int>? unwritten = null)
    {
        var expected = reference.Values;
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"output has {actual.Length} elements but the reference has {expected.Length}", nameof(actual));
        }
        var format = reference.Format;
        var maxError = 0.0;
        var maxRatio = 0.0;
        var tolerance = 0.0;
        var firstWrong = -1;
        string? wrongProblem = null;
        int checkedCount = 0, uncheckedCount = 0, referenceNaN = 0, overflowed = 0;
        var skipped = unwritten is { Count: > 0 } ? new HashSet<int>(unwritten) : null;
        for (var i = 0; i < expected.Length; i++)
        {
            if (skipped is not null && skipped.Contains(i))
            {
                continue;
            }
            var want = expected[i];
            double got = actual[i];
            var bound = reference.ErrorBounds[i];
            string? wrong = null;
            if (double.IsPositiveInfinity(bound))
            {
                uncheckedCount++;
                continue;
            }
            if (double.IsNaN(got) && reference.OrNaN is { } orNaN && orNaN[i])
            {
                // The CPU's answer to a maximum of a NaN; a GPU's (the other operand) is checked below.
                continue;
            }
            if (double.IsNaN(want) || double.IsInfinity(want) || !double.IsFinite(got))
            {
                // A NaN or an infinity is right only where the reference has the same one. Matching
                // infinities (a value that overflows the format for certain) show nothing of the arithmetic,
                // so only finite reference values count as checked: an output of overflows alone verifies nothing.
                referenceNaN += double.IsNaN(want) ? 1 : 0;
                checkedCount += double.IsFinite(want) ? 1 : 0;
                overflowed += double.IsInfinity(want) ? 1 : 0;
                if (!(double.IsNaN(want) && double.IsNaN(got)) && got != want)
                {
                    wrong = $"{Describe(got)} where the reference is {Describe(want)}";
                    maxError = double.PositiveInfinity;
                    maxRatio = double.PositiveInfinity;
                }
            }
            else
            {
                checkedCount++;
                var allowed = Tolerance(want, bound, format, reference.Output);
                tolerance = Math.Max(tolerance, allowed);
                var error = Math.Abs(got - want);
                maxError = Math.Max(maxError, error);
                maxRatio = Math.Max(maxRatio, error / allowed);
                if (error > allowed)
                {
                    wrong = $"{Describe(got)} where the reference is {Describe(want)}: off by {Describe(error)}, beyond its bound {Describe(allowed)}";
                }
            }
            if (wrong is not null && firstWrong < 0)
            {
                firstWrong = i;
                wrongProblem = $"element {i} is {wrong}";
            }
        }
        int firstBad;
        string? problem;
        if (skipped is not null)
        {
            // Never written is the more basic fault, so it is the one named.
            var firstSkipped = skipped.Min();
            firstBad = firstWrong >= 0 ? Math.Min(firstWrong, firstSkipped) : firstSkipped;
            // A race gives the same symptom as an unwritten element: results that differ between two runs.
            problem = $"{skipped.Count} of {expected.Length} output elements were never written or differed between two runs (the first is element {firstSkipped})";
            maxError = double.PositiveInfinity;
            maxRatio = double.PositiveInfinity;
        }
        else if (firstWrong >= 0)
        {
            firstBad = firstWrong;
            problem = wrongProblem;
        }
        else
        {
            firstBad = -1;
            problem = checkedCount > 0 ? null
                : referenceNaN == expected.Length ? "nothing to check: the reference is NaN at every element"
                // A 16-bit output's infinities are the store's: name the type that overflowed.
                : overflowed > 0 ? $"nothing to check: no element has a finite value with a finite error bound ({overflowed} overflow {(reference.Output ?? format).Name} for certain, {uncheckedCount} may overflow or are near a singularity, {referenceNaN} are NaN)"
                : $"nothing to check: no element has a finite error bound ({uncheckedCount} may overflow {format.Name} or are near a singularity, {referenceNaN} are NaN)";
        }
        var passed = problem is null;
        return new VerificationResult(passed, maxError, maxRatio, firstBad, tolerance, checkedCount, uncheckedCount, referenceNaN, problem);
    }

    /// <summary>
    /// Why a comparison with <paramref name="reference"/> could not tell a correct kernel from one that
    /// writes any value of the output's size, or null when it can: where every checkable element's
    /// tolerance is at least the largest checkable value, a kernel writing 0, or 1e20 under a 1e22
    /// tolerance, passes. Constants far apart (<c>A * 1e-30 * 1e30</c>) or an output that underflows
    /// (<c>A * 1e-50</c>) give such bounds (found by fuzzing).
    /// </summary>
    public static string? Blindness(ReferenceResult reference)
    {
        var scale = 0.0;
        var smallest = double.PositiveInfinity;
        for (var i = 0; i < reference.Values.Length; i++)
        {
            var want = reference.Values[i];
            var bound = reference.ErrorBounds[i];
            if (double.IsFinite(want) && double.IsFinite(bound))
            {
                scale = Math.Max(scale, Math.Abs(want));
                smallest = Math.Min(smallest, Tolerance(want, bound, reference.Format, reference.Output));
            }
        }
        return double.IsPositiveInfinity(smallest) || smallest < scale ? null
            : $"every element's tolerance (at least {Describe(smallest)}) is at least the output's largest value ({Describe(scale)}): a kernel that wrote any value of that size would pass";
    }

    private static string Describe(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
