using System.Globalization;
using System.Text.Json.Nodes;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench cold</c>: construction as a user meets it. For every operator of the suites,
/// <c>gensor explain SPEC --target P --policy gensor --compiler-check off --format json</c> in a
/// fresh process (its code compiled by the JIT, or ReadyToRun in a published build), and per
/// operator the median over <c>--repeat</c> runs of: the report's construction time (wall),
/// the whole process's wall time and its CPU time (user + system, all threads).
/// With <c>--jit-profile on</c> (the default, as users run it) the children keep a multi-core JIT
/// profile in a scratch folder, recorded by one untimed run before the table; <c>off</c> runs without.
/// Usage: <c>cold [--gensor PATH] [--profile h100] [--repeat 3] [--jit-profile on|off] [SUITE]...</c>; PATH is a
/// gensor.dll or a published gensor executable (default: the Release build of src/Gensor.Cli).
/// With no suite, the bench suites.
/// </summary>
internal static class ColdTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        var gensor = ChildRun.DefaultGensor();
        var profile = "h100";
        var repeat = 3;
        var jitProfile = "on";
        var suites = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--gensor": gensor = args[++i]; break;
                case "--profile": profile = args[++i]; break;
                case "--repeat": repeat = Math.Max(1, int.Parse(args[++i], _invariant)); break;
                case "--jit-profile" when i + 1 < args.Length && args[i + 1] is "on" or "off": jitProfile = args[++i]; break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    Console.Error.WriteLine($"error: unknown option '{option}'");
                    return 2;
                default: suites.Add(args[i]); break;
            }
        }
        if (gensor is null || !File.Exists(gensor))
        {
            Console.Error.WriteLine("error: no gensor build found; build src/Gensor.Cli in Release or give --gensor PATH");
            return 2;
        }
        if (suites.Count == 0)
        {
            suites.AddRange(SuiteFiles.Defaults);
        }
        var scratch = Directory.CreateTempSubdirectory("gensor-cold-");
        try
        {
            // The children inherit the setting (GENSOR_JIT_PROFILE, see the command line's JitProfile).
            Environment.SetEnvironmentVariable("GENSOR_JIT_PROFILE", jitProfile == "off" ? "off" : Path.Combine(scratch.FullName, "jit"));
            var recorded = false;
            Console.WriteLine($"construction in a fresh process: {gensor} explain --target {profile} --policy gensor --compiler-check off; median of {repeat}; multi-core JIT profile {jitProfile}");
            Console.WriteLine(string.Format(_invariant, "{0,-34} {1,7} {2,13} {3,12} {4,12} {5,6}", "operator", "states", "construct ms", "process ms", "process CPU", "load"));
            var constructs = new List<double>();
            var cpus = new List<double>();
            var walls = new List<double>();
            var loads = new List<double>();
            foreach (var suite in suites)
            {
                var path = File.Exists(suite) ? suite : SuiteFiles.PathOf(suite);
                var entries = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
                foreach (var entry in entries)
                {
                    var name = (string)entry!["name"]!;
                    var spec = Path.Combine(scratch.FullName, name + ".json");
                    File.WriteAllText(spec, entry.ToJsonString());
                    string[] explain = ["explain", spec, "--target", profile, "--policy", "gensor", "--compiler-check", "off", "--format", "json"];
                    if (jitProfile == "on" && !recorded)
                    {
                        ChildRun.Of(gensor, explain);
                        recorded = true;
                    }
                    var runs = Enumerable.Range(0, repeat)
                        .Select(_ => ChildRun.Of(gensor, explain))
                        .ToArray();
                    if (runs.FirstOrDefault(r => r.ExitCode != 0 || r.Json is null) is { } failed)
                    {
                        Console.Error.WriteLine($"error: {name}: exit {failed.ExitCode}: {failed.Error}");
                        return 1;
                    }
                    var construct = Median(runs.Select(r => (double)r.Json!["construct_ms"]!));
                    var cpu = runs.All(r => r.CpuMs is not null) ? Median(runs.Select(r => r.CpuMs!.Value)) : double.NaN;
                    constructs.Add(construct);
                    cpus.Add(cpu);
                    walls.Add(Median(runs.Select(r => r.WallMs)));
                    loads.AddRange(runs.Select(r => r.LoadAverage));
                    Console.WriteLine(string.Format(_invariant, "{0,-34} {1,7} {2,13:F1} {3,12:F0} {4,12:F0} {5,6:F1}",
                        $"{Path.GetFileNameWithoutExtension(path)}/{name}", (int)runs[0].Json!["states_visited"]!, construct,
                        walls[^1], cpu, runs[^1].LoadAverage));
                }
            }
            Console.WriteLine(string.Format(_invariant,
                "{0} operators: construct ms max {1:F1}, mean {2:F1}; process ms mean {3:F0}; process CPU ms max {4:F0}, mean {5:F0}; load average {6:F1}..{7:F1}",
                constructs.Count, constructs.Max(), constructs.Average(), walls.Average(), cpus.Max(), cpus.Average(), loads.Min(), loads.Max()));
            return 0;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
