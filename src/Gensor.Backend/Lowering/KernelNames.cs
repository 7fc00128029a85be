namespace Gensor.Backend.Lowering;

/// <summary>
/// The identifiers generated kernels use. Locals all start with <c>g_</c>; a
/// tensor's parameter is its own name unless that could collide with a local
/// or with a name the kernel uses from ILGPU or the framework (a tensor named
/// <c>Grid</c> would hide <c>Grid.IdxX</c>), in which case it is positional.
/// </summary>
public static class KernelNames
{
    /// <summary>Names the generated source refers to, which a parameter must not hide.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "ILGPU", "System", "Grid", "Group", "Warp", "SharedMemory", "XMath", "Float2", "Float4",
        "ArrayView", "ArrayView1D", "Stride1D", "Index1D", "Math", "MathF", "Kernel", "GridSize", "GroupSize",
        "Accelerator", "KernelConfig", "Launch",
        // The launcher's own parameter (see LauncherWriter).
        "accelerator",
    };

    /// <summary>The parameter identifier of tensor <paramref name="tensor"/>, argument <paramref name="index"/> of the kernel.</summary>
    public static string Parameter(string tensor, int index) =>
        IsPlainIdentifier(tensor) && !tensor.StartsWith("g_", StringComparison.Ordinal) && !Reserved.Contains(tensor)
            ? "@" + tensor
            : $"g_arg{index}";

    private static bool IsPlainIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
