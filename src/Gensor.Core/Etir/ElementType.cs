namespace Gensor.Etir;

/// <summary>
/// The element type of a tensor. Arithmetic always happens in float32 (the
/// accumulation type): 16-bit inputs are widened when they are read, and a
/// 16-bit output is rounded once, when it is stored.
/// </summary>
public enum ElementType
{
    /// <summary>IEEE binary32, 24-bit significand.</summary>
    F32,

    /// <summary>IEEE binary16, 11-bit significand (ILGPU's <c>Half</c>, PTX <c>.f16</c>).</summary>
    F16,

    /// <summary>bfloat16: float32's exponent with an 8-bit significand; stored as 16-bit integers, since ILGPU has no type for it.</summary>
    BF16,
}
