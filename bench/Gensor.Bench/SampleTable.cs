using System.Globalization;
using System.Text.Json.Nodes;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench samples</c>: what tuning costs on ILGPU's CPU accelerator. For each
/// single-operator sample (samples/*.json), <c>gensor tune SAMPLE --device cpu --format json</c>
/// in a fresh process: whether it verified, the report's construct, compile and measure times,
/// the process's wall and CPU time (user + system, all threads), and the load average after it.
/// Usage: <c>samples [--gensor PATH] [--top-k K] [NAME]...</c> (default: every sample that has
/// no dtype of its own). The kernel times are the simulator's and say nothing about a GPU.
/// </summary>
internal static class SampleTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        var gensor = ChildRun.DefaultGensor();
        string? topK = null;
        var names = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--gensor": gensor = args[++i]; break;
                case "--top-k": topK = args[++i]; break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    Console.Error.WriteLine($"error: unknown option '{option}'");
                    return 2;
                default: names.Add(args[i]); break;
            }
        }
        if (gensor is null || !File.Exists(gensor))
        {
            Console.Error.WriteLine("error: no gensor build found; build src/Gensor.Cli in Release or give --gensor PATH");
            return 2;
        }
        var samples = SamplesDirectory();
        if (names.Count == 0)
        {
            // The f16/bf16 samples are the same GEMM in other types: the float32 ones cover the operators.
            names.AddRange(Directory.GetFiles(samples, "*.json").Select(Path.GetFileNameWithoutExtension).Where(n => !n!.Contains('-')).Order()!);
        }
        Console.WriteLine($"gensor tune SAMPLE --device cpu{(topK is null ? "" : " --top-k " + topK)}: times in s, one fresh process each (simulated kernels)");
        Console.WriteLine(string.Format(_invariant, "{0,-16} {1,9} {2,10} {3,10} {4,10} {5,8} {6,8} {7,6}",
            "sample", "verified", "construct", "compile", "measure", "wall", "CPU", "load"));
        var failures = 0;
        foreach (var name in names)
        {
            List<string> arguments = ["tune", Path.Combine(samples, name + ".json"), "--device", "cpu", "--format", "json"];
            if (topK is not null)
            {
                arguments.AddRange(["--top-k", topK]);
            }
            var run = ChildRun.Of(gensor, arguments);
            if (run.ExitCode != 0 || run.Json is null)
            {
                Console.Error.WriteLine($"error: {name}: exit {run.ExitCode}: {run.Error}");
                failures++;
                continue;
            }
            var candidates = run.Json["candidates"]!.AsArray();
            var verified = candidates.Count(c => (bool?)c!["verified"] == true);
            var timings = run.Json["timings"]!;
            Console.WriteLine(string.Format(_invariant, "{0,-16} {1,9} {2,10:F2} {3,10:F2} {4,10:F2} {5,8:F1} {6,8:F1} {7,6:F1}",
                name, $"{verified}/{candidates.Count}", (double)timings["construct_ms"]! / 1e3, (double)timings["compile_ms"]! / 1e3,
                (double)timings["measure_ms"]! / 1e3, run.WallMs / 1e3, (run.CpuMs ?? double.NaN) / 1e3, run.LoadAverage));
        }
        return failures == 0 ? 0 : 1;
    }

    private static string SamplesDirectory()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples");
            if (Directory.Exists(Path.Combine(candidate, "suites")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("samples/ not found above the working directory");
    }
}
