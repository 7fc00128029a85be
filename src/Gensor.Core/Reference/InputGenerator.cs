using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// Deterministic pseudo-random inputs, uniform in [-1, 1] and rounded to each
/// tensor's element type (so the reference and the kernel see the same values). The generator is our
/// own (SplitMix64) so that the same seed gives the same inputs on every .NET
/// version and machine, which keeps verification failures reproducible.
/// </summary>
public static class InputGenerator
{
    /// <summary>No input value is larger in magnitude than this (the verifier's tolerances are bounded by it, see <see cref="ToleranceCeiling"/>).</summary>
    public const double MaxMagnitude = 1.0;

    /// <summary>One array per input tensor, keyed by name, each of the tensor's element count.</summary>
    public static IReadOnlyDictionary<string, float[]> Generate(Operator op, int seed)
    {
        var inputs = new Dictionary<string, float[]>();
        for (var position = 0; position < op.Inputs.Count; position++)
        {
            var tensor = op.Inputs[position];
            var state = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(position + 1) * 0xD1B54A32D192ED03UL);
            var values = new float[checked((int)tensor.ElementCount)];
            for (var i = 0; i < values.Length; i++)
            {
                // 24 random bits make every value exactly representable in float32.
                var bits = Next(ref state) >> 40;
                values[i] = tensor.Type.Round((float)((bits * (2.0 / (1 << 24))) - 1.0));
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
