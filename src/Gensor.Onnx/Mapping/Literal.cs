using System.Globalization;
using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>Constants from float32 attributes and tensors, written as the shortest text that is the same float (0.1, not 0.10000000149011612).</summary>
internal static class Literal
{
    /// <summary>The constant of an attribute's value; an expression holds finite numbers only, so NaN or an infinity makes the node unsupported.</summary>
    public static Constant Of(float value) => float.IsFinite(value)
        ? new(double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))
        : throw new UnsupportedNodeException($"a constant of {value.ToString(CultureInfo.InvariantCulture)} (expressions hold finite numbers only)");
}
