using Gensor.Diagnostics;

namespace Gensor.Backend.Launch;

/// <summary>
/// Where the launcher of an emitted kernel lives: <c>Namespace.Class.Method</c>,
/// e.g. <c>Gensor.Kernels.Gemm.Launch</c>. The kernel class shares the namespace.
/// </summary>
public sealed record LauncherName(string Namespace, string Class, string Method)
{
    /// <summary>The namespace emitted kernels go in unless <c>--namespace</c> says otherwise.</summary>
    public const string DefaultNamespace = "Gensor.Kernels";

    /// <summary>
    /// The ILGPU types the kernel names unqualified. A namespace part of one of these names hides the type
    /// inside the kernel's namespace (C# looks a name up among the enclosing namespaces' members before the
    /// usings), so <c>--namespace Group</c> or <c>A.Grid</c> wrote a kernel.cs that does not compile.
    /// </summary>
    private static readonly string[] _ilgpuTypes =
    [
        "Grid", "Group", "Warp", "XMath", "SharedMemory", "ArrayView", "ArrayView1D", "Stride1D",
        "Interop", "Atomic", "Index1D", "Half", "Float2", "Float4", "CudaAsm",
    ];

    /// <summary>
    /// Names a launcher class may not take, so it gets a suffix instead: the ILGPU names the
    /// kernel uses unqualified (a class of the same name in the kernel's namespace would hide
    /// them, and ILGPU itself would hide the namespace), and the launcher's own members (a
    /// member may not share its class's name).
    /// </summary>
    private static readonly string[] _taken = ["ILGPU", "Math", "MathF", .. _ilgpuTypes, "Launch", "Launcher", "Load", "CheckLength", "CheckLimits"];

    /// <summary>The launcher of operator <paramref name="operatorName"/> in <paramref name="namespace"/>.</summary>
    /// <exception cref="GensorException">The namespace is not a C# namespace, or a part of it would hide an ILGPU type the kernel uses (bad input).</exception>
    public static LauncherName For(string operatorName, string @namespace = DefaultNamespace)
    {
        if (!CSharpNames.IsNamespace(@namespace))
        {
            throw GensorException.BadInput($"--namespace '{@namespace}' is not a C# namespace (dot-separated identifiers, none a keyword, e.g. MyApp.Kernels)");
        }
        if (@namespace.Split('.').FirstOrDefault(part => _ilgpuTypes.Contains(part)) is { } hiding)
        {
            throw GensorException.BadInput($"--namespace '{@namespace}': a namespace named '{hiding}' would hide ILGPU's {hiding}, which the kernel uses (choose another name, e.g. MyApp.Kernels)");
        }
        var name = CSharpNames.TypeName(operatorName);
        return new LauncherName(@namespace, _taken.Contains(name) ? name + "Op" : name, "Launch");
    }
}
