using System.Reflection;
using Gensor.Backend.Lowering;

namespace Gensor.Backend.Compilation;

/// <summary>A kernel source with its compiled method, or the reason it did not compile.</summary>
public sealed record CompiledSource(KernelSource Source, MethodInfo? Method, string? Error);
