using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>
/// How the element types appear in generated C#: f32 as <c>float</c>, f16 as
/// ILGPU's <c>Half</c> (PTX <c>.f16</c>, converted by <c>cvt</c>), bf16 as
/// <c>ushort</c> bits with conversions written in the kernel's class, because
/// ILGPU has no bfloat16 type. Narrowing rounds to nearest even on every back
/// end: CUDA's <c>cvt.rn</c> does, but ILGPU's own float-to-Half conversion
/// (used on the CPU accelerator) truncates, so elsewhere integer code rounds.
/// </summary>
internal static class ElementTypeNames
{
    /// <summary>The C# element type of a buffer of <paramref name="type"/>.</summary>
    public static string CSharp(ElementType type) => type switch
    {
        ElementType.F32 => "float",
        ElementType.F16 => "Half",
        ElementType.BF16 => "ushort",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>An element of <paramref name="type"/> as a float (exact).</summary>
    public static string Widen(ElementType type, string element) => type switch
    {
        ElementType.F32 => element,
        ElementType.F16 => $"((float){element})",
        ElementType.BF16 => $"BFloat16ToFloat({element})",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>A float rounded to <paramref name="type"/>, to nearest even.</summary>
    public static string Narrow(ElementType type, string value) => type switch
    {
        ElementType.F32 => value,
        ElementType.F16 => $"FloatToHalf({value})",
        ElementType.BF16 => $"FloatToBFloat16({value})",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The f16 narrowing, as methods of the kernel's class (ILGPU inlines them).</summary>
    public static void WriteHalfConversions(SourceWriter w)
    {
        w.Line("/// <summary>The f16 nearest to a float, ties to even: cvt.rn.f16.f32 on CUDA, integer code elsewhere.</summary>");
        using (w.Block("public static Half FloatToHalf(float value)"))
        {
            w.Line("if (global::ILGPU.Runtime.Cuda.CudaAsm.IsSupported) { return (Half)value; }");
            w.Line("uint bits = Interop.FloatAsInt(value);");
            w.Line("uint sign = (bits >> 16) & 0x8000u;");
            w.Line("uint magnitude = bits & 0x7FFFFFFFu;");
            w.Line("uint half;");
            w.Line("if (magnitude > 0x7F800000u) { half = 0x7E00u; }");
            w.Line("// From 65520 up (the tie between 65504 and the next power of two) it rounds to infinity.");
            w.Line("else if (magnitude >= 0x477FF000u) { half = 0x7C00u; }");
            w.Line("// Below 2^-14 the result is subnormal: the value in units of 2^-24, rounded to an integer (adding 2^23 rounds to nearest even).");
            w.Line("else if (magnitude < 0x38800000u) { half = (uint)((Interop.IntAsFloat(magnitude) * 16777216f + 8388608f) - 8388608f); }");
            w.Line("// Rebias the exponent (127 - 15 = 112) and round the 13 dropped bits; a carry into the exponent is right.");
            w.Line("else { uint rebiased = magnitude - 0x38000000u; half = (rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13; }");
            w.Line("return Interop.IntAsFloat((ushort)(sign | half));");
        }
    }

    /// <summary>The bfloat16 conversions, as methods of the kernel's class (ILGPU inlines them).</summary>
    public static void WriteBFloat16Conversions(SourceWriter w)
    {
        w.Line("/// <summary>The float of bfloat16 bits: they are its upper half.</summary>");
        w.Line("public static float BFloat16ToFloat(ushort bits) => Interop.IntAsFloat((uint)bits << 16);");
        w.Line();
        w.Line("/// <summary>The bfloat16 bits nearest to a float, ties to even (NaN stays NaN).</summary>");
        using (w.Block("public static ushort FloatToBFloat16(float value)"))
        {
            w.Line("uint bits = Interop.FloatAsInt(value);");
            w.Line("if (value != value) { return (ushort)((bits >> 16) | 0x40u); }");
            w.Line("return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);");
        }
    }
}
