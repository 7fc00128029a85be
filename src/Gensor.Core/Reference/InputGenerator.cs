using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// Deterministic pseudo-random inputs, uniform in [-1, 1] and rounded to each
/// tensor's element type (so the reference and the kernel see the same values),
/// and for sums of products and maxima small nonzero integers, on which every
/// correct kernel is exact. The generator is our
/// own (SplitMix64) so that the same seed gives the same inputs on every .NET
/// version and machine, which keeps verification failures reproducible.
/// </summary>
public static class InputGenerator
{
    /// <summary>No input value is larger in magnitude than this (the verifier's tolerances are bounded by it, see <see cref="ToleranceCeiling"/>).</summary>
    public const double MaxMagnitude = 1.0;

    /// <summary>One array per input tensor, keyed by name, each of the tensor's element count.</summary>
    public static IReadOnlyDictionary<string, float[]> Generate(Operator op, int seed) =>
        PerTensor(op, seed, 0x9E3779B97F4A7C15UL, 0xD1B54A32D192ED03UL, (ref ulong state, Tensor tensor) =>
            // 24 random bits make every value exactly representable in float32.
            tensor.Type.Round((float)(((Next(ref state) >> 40) * (2.0 / (1 << 24))) - 1.0)));

    /// <summary>
    /// The largest integer magnitude of <see cref="GenerateIntegers"/> inputs for <paramref name="op"/>,
    /// or null where integer inputs prove nothing more than <see cref="Generate"/>'s. A sum whose body is
    /// built of exact operations (matrix products, convolutions, row sums, products of three reads, bodies
    /// scaled by a power of two: <see cref="IntegerSums"/>): the largest size, at most 8, at which every
    /// term and partial sum stays exact in the accumulator's type in any order (for a product of two,
    /// reduction length x magnitude^2 &lt;= 2^24 in float32). A maximum of such a body that one sign per input
    /// makes negative at every term (<see cref="NegativeTerms"/>: pooling, min-pooling as the maximum of a
    /// negated read, maxima of products): the largest size, at most 8, at which every term stays exact.
    /// </summary>
    public static int? IntegerMagnitude(Operator op)
    {
        var significand = 1 / FloatFormat.Of(op.AccumulatorType).UnitRoundoff;
        if (op.Reduction == Reduction.Max)
        {
            return NegativeTerms.Signs(op) is null ? null : Largest(magnitude => IntegerSums.TermsAreExact(op, _ => magnitude, significand));
        }
        return IntegerSums.HasIntegerBody(op) ? Largest(magnitude => IntegerSums.IsExact(op, _ => magnitude, significand)) : null;
    }

    /// <summary>The largest magnitude up to <see cref="MaxIntegerMagnitude"/> that <paramref name="exact"/> accepts, or null.</summary>
    private static int? Largest(Func<int, bool> exact)
    {
        for (var magnitude = MaxIntegerMagnitude; magnitude >= 1; magnitude--)
        {
            if (exact(magnitude))
            {
                return magnitude;
            }
        }
        return null;
    }

    /// <summary>The largest magnitude integer inputs take: a product of two stays within 64, exact in every 16-bit format.</summary>
    private const int MaxIntegerMagnitude = 8;

    /// <summary>
    /// Nonzero integers uniform in [-<paramref name="magnitude"/>, <paramref name="magnitude"/>], exact in
    /// every element type; for a maximum that has them, of the sign per input that makes every term negative
    /// (<see cref="NegativeTerms"/>), in [-<paramref name="magnitude"/>, -1] or [1, <paramref name="magnitude"/>].
    /// With <see cref="IntegerMagnitude"/>'s size a correct kernel's sum is exact whatever its order, so the
    /// reference allows it no error (see <see cref="ReferenceEvaluator"/>): a dropped, repeated or
    /// misread term is caught however long the reduction, where random inputs' rigorous bound grows
    /// with the reduction's length until one term fits inside it. Negative terms show a maximum
    /// that starts from 0 instead of the lowest value, which random inputs of either sign rarely do.
    /// </summary>
    public static IReadOnlyDictionary<string, float[]> GenerateIntegers(Operator op, int seed, int magnitude)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(magnitude, 1);
        var signs = op.Reduction == Reduction.Max ? NegativeTerms.Signs(op) : null;
        var draws = (ulong)(signs is null ? 2 * magnitude : magnitude);
        // Another stream than Generate's: the same seed gives unrelated values.
        return PerTensor(op, seed, 0xD6E8FEB86659FD93UL, 0x9E3779B97F4A7C15UL, (ref ulong state, Tensor tensor) =>
        {
            var draw = (int)(Next(ref state) % draws);
            return signs is null ? (draw < magnitude ? draw - magnitude : draw - magnitude + 1)
                : signs[tensor.Name] < 0 ? draw - magnitude : draw + 1;
        });
    }

    private delegate float Draw(ref ulong state, Tensor tensor);

    /// <summary>One array per input tensor, each drawn from a stream of its own (the seed and the tensor's position mixed).</summary>
    private static Dictionary<string, float[]> PerTensor(Operator op, int seed, ulong seedMix, ulong positionMix, Draw draw)
    {
        var inputs = new Dictionary<string, float[]>();
        for (var position = 0; position < op.Inputs.Count; position++)
        {
            var tensor = op.Inputs[position];
            var state = ((ulong)(uint)seed * seedMix) ^ ((ulong)(position + 1) * positionMix);
            var values = new float[checked((int)tensor.ElementCount)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = draw(ref state, tensor);
            }
            inputs[tensor.Name] = values;
        }
        return inputs;
    }

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
