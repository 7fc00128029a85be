using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Bench;

/// <summary>One operator of a suite and how often it occurs in the model.</summary>
internal sealed record SuiteEntry(Operator Operator, int Count);

/// <summary>Loads suites (samples/suites/*.json) through the front end, by name or path.</summary>
internal static class SuiteFiles
{
    public static IReadOnlyList<string> Defaults { get; } = ["resnet50_b1", "resnet50_b32", "gpt2"];

    public static IReadOnlyList<SuiteEntry> Load(string nameOrPath)
    {
        var path = File.Exists(nameOrPath) ? nameOrPath : PathOf(nameOrPath);
        return [.. SpecReader.ReadFile(path).Select(spec => new SuiteEntry(OperatorBuilder.Build(spec), spec.Count))];
    }

    /// <summary>The file of the suite named <paramref name="name"/> in samples/suites.</summary>
    public static string PathOf(string name) => Path.Combine(SuitesDirectory(), name + ".json");

    /// <summary>samples/suites in the repository, found upwards from the working directory.</summary>
    private static string SuitesDirectory()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples", "suites");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("samples/suites not found above the working directory; give a suite file path");
    }
}
