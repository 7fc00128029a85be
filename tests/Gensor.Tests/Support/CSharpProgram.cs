using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gensor.Tests.Support;

/// <summary>
/// Compiles C# files as a user's project would (against the framework, ILGPU
/// and ILGPU.Algorithms, nothing of Gensor) and loads the assembly.
/// </summary>
public static class CSharpProgram
{
    /// <summary>What the .NET SDK adds to a console project with ImplicitUsings on (the template's default).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Compiles <paramref name="sources"/> into an assembly (an executable when <paramref name="executable"/>); fails the test with the compiler's errors.</summary>
    public static Assembly Compile(bool executable, params string[] sources)
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var references = platform
            .Where(path => !Path.GetFileName(path).StartsWith("Gensor", StringComparison.OrdinalIgnoreCase) && Path.GetFileName(path) != "gensor.dll")
            .Append(typeof(ILGPU.Context).Assembly.Location)
            .Append(typeof(ILGPU.Algorithms.XMath).Assembly.Location)
            .Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "UserProgram_" + Guid.NewGuid().ToString("N"),
            sources.Prepend(ImplicitUsings).Select(text => CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest))),
            references,
            new CSharpCompilationOptions(executable ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
        Assert.True(emitted.Success, string.Join("\n", errors));
        image.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(image);
    }
}
