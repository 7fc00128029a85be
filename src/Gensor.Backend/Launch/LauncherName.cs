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
    /// Names a launcher class may not take, so it gets a suffix instead: the ILGPU names the
    /// kernel uses unqualified (a class of the same name in the kernel's namespace would hide
    /// them, and ILGPU itself would hide the namespace), and the launcher's own members (a
    /// member may not share its class's name).
    /// </summary>
    private static readonly string[] _taken =
    [
        "ILGPU", "Grid", "Group", "Warp", "XMath", "Math", "MathF", "SharedMemory", "ArrayView", "ArrayView1D", "Stride1D",
        "Interop", "Atomic", "Index1D", "Half", "Float2", "Float4", "CudaAsm",
        "Launch", "Launcher", "Load", "CheckLength", "CheckLimits",
    ];

    /// <summary>The launcher of operator <paramref name="operatorName"/> in <paramref name="namespace"/>.</summary>
    /// <exception cref="GensorException">The namespace is not a C# namespace (bad input).</exception>
    public static LauncherName For(string operatorName, string @namespace = DefaultNamespace)
    {
        if (!CSharpNames.IsNamespace(@namespace))
        {
            throw GensorException.BadInput($"--namespace '{@namespace}' is not a C# namespace (dot-separated identifiers, none a keyword, e.g. MyApp.Kernels)");
        }
        var name = CSharpNames.TypeName(operatorName);
        return new LauncherName(@namespace, _taken.Contains(name) ? name + "Op" : name, "Launch");
    }
}
