using Gensor.Backend.Launch;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>
/// C# ILGPU source for one ETIR: a static class <see cref="ClassName"/> whose
/// <c>Kernel</c> method is an explicitly grouped ILGPU kernel, called as
/// <see cref="Launch"/> says. The text compiles in any ILGPU project.
/// </summary>
public sealed record KernelSource(EtirState State, string ClassName, string Text, LaunchContract Launch)
{
    /// <summary>The kernel method's name inside <see cref="ClassName"/>.</summary>
    public const string MethodName = "Kernel";
}
