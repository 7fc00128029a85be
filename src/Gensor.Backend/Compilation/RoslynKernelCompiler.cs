using System.Reflection;
using System.Runtime.Loader;
using Gensor.Backend.Lowering;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gensor.Backend.Compilation;

/// <summary>
/// Compiles generated kernel sources with Roslyn into an in-memory assembly
/// whose kernel methods ILGPU then compiles for the accelerator. Many kernels
/// go into one compilation: Roslyn's fixed cost (about a second when cold) is
/// then paid once per tuning run instead of once per candidate.
/// </summary>
public static class RoslynKernelCompiler
{
    private static readonly Lazy<MetadataReference[]> s_references = new(LoadReferences);

    /// <summary>
    /// Compiles <paramref name="sources"/> together. Returns, per source, the
    /// kernel method or the compiler's first error (a source that fails does
    /// not stop the others: the failing ones are dropped and the rest compiled again).
    /// </summary>
    public static IReadOnlyList<CompiledSource> Compile(IReadOnlyList<KernelSource> sources)
    {
        var results = new CompiledSource?[sources.Count];
        var pending = Enumerable.Range(0, sources.Count).ToList();
        while (pending.Count > 0)
        {
            var trees = pending.Select(i => CSharpSyntaxTree.ParseText(sources[i].Text, path: sources[i].ClassName + ".cs")).ToArray();
            var compilation = CSharpCompilation.Create(
                "GensorKernels_" + Guid.NewGuid().ToString("N"),
                trees,
                s_references.Value,
                new CSharpCompilationOptions(
                    OutputKind.DynamicallyLinkedLibrary,
                    optimizationLevel: Microsoft.CodeAnalysis.OptimizationLevel.Release,
                    allowUnsafe: false));
            using var image = new MemoryStream();
            var emitted = compilation.Emit(image);
            if (emitted.Success)
            {
                image.Position = 0;
                var context = new AssemblyLoadContext(compilation.AssemblyName, isCollectible: true);
                var assembly = context.LoadFromStream(image);
                // Unloading completes only when the last reference to the assembly's
                // types is gone; until then the kernels stay usable. Starting it now
                // means no owner has to remember to.
                context.Unload();
                foreach (var i in pending)
                {
                    var method = assembly.GetType(sources[i].ClassName)?.GetMethod(KernelSource.MethodName, BindingFlags.Public | BindingFlags.Static);
                    results[i] = method is null
                        ? new CompiledSource(sources[i], null, $"no method {sources[i].ClassName}.{KernelSource.MethodName}")
                        : new CompiledSource(sources[i], method, null);
                }
                break;
            }
            var failed = new HashSet<int>();
            foreach (var diagnostic in emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                var index = Array.IndexOf(trees, diagnostic.Location.SourceTree);
                if (index < 0)
                {
                    // An error outside any one source (references): nothing can compile.
                    foreach (var i in pending)
                    {
                        results[i] = new CompiledSource(sources[i], null, diagnostic.ToString());
                    }
                    return results.Select(r => r!).ToArray();
                }
                var source = pending[index];
                if (failed.Add(source))
                {
                    results[source] = new CompiledSource(sources[source], null, diagnostic.ToString());
                }
            }
            pending.RemoveAll(failed.Contains);
        }
        return results.Select(r => r!).ToArray();
    }

    private static MetadataReference[] LoadReferences()
    {
        // The running framework's assemblies plus ILGPU: exactly what the kernels may use.
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var ilgpu = new[] { typeof(ILGPU.Context).Assembly.Location, typeof(ILGPU.Algorithms.XMath).Assembly.Location };
        return platform.Concat(ilgpu)
            .Where(path => path.Length > 0 && File.Exists(path))
            .Distinct(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray();
    }
}
