namespace Gensor.Backend.Lowering.Ir;

/// <summary>The types of kernel values: 32-bit integers (indices), float32 scalars and 2- or 4-wide float32 vectors.</summary>
public enum IrType { Int, Bool, Float, Float2, Float4 }

/// <summary>Widths of the vector types.</summary>
public static class IrTypes
{
    /// <summary>The float type of <paramref name="width"/> lanes (1, 2 or 4).</summary>
    public static IrType FloatOfWidth(int width) => width switch
    {
        1 => IrType.Float,
        2 => IrType.Float2,
        4 => IrType.Float4,
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, "vector widths are 1, 2 and 4"),
    };
}
