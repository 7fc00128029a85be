using System.Globalization;
using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>Constants from float32 attributes and tensors, written as the shortest text that is the same float (0.1, not 0.10000000149011612).</summary>
internal static class Literal
{
    public static Constant Of(float value) => new(double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
}
