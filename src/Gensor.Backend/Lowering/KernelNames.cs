namespace Gensor.Backend.Lowering;

/// <summary>
/// The identifiers generated kernels use. Locals all start with <c>g_</c>. A
/// tensor's parameter is never the user's name alone: it is <c>t_</c> and the
/// name (<c>t_A</c>, <c>t_Grid</c>), so it cannot hide a name the kernel uses
/// from ILGPU or the framework (a parameter <c>Grid</c> would hide
/// <c>Grid.IdxX</c>), nor the launcher's own <c>accelerator</c> parameter,
/// whatever names a later printer starts to use: no ILGPU or System name
/// starts with <c>t_</c>, no local does, no C# keyword does, and
/// distinct tensor names give distinct parameters. A name that is not a C#
/// identifier (an imported model's <c>conv1/weight:0</c>) is positional,
/// <c>g_arg</c> and its index.
/// </summary>
public static class KernelNames
{
    /// <summary>The parameter identifier of tensor <paramref name="tensor"/>, argument <paramref name="index"/> of the kernel.</summary>
    public static string Parameter(string tensor, int index) =>
        IsPlainIdentifier(tensor) ? "t_" + tensor : $"g_arg{index}";

    private static bool IsPlainIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
