using System.Globalization;
using Gensor.Bench;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Diagnostics;

// The central experiment (method.md, "Policies side by side"): for each suite
// operator, the cost model's estimate of each policy's best schedule, the
// ratios gensor/roller and gensor/exhaustive, states visited and construction
// time. Usage: Gensor.Bench [--profile h100] [--suite gpt2|path]... [--seed 0] [--no-exhaustive] [--repeat 3]
// [--walkers 8] [--steps 40] (the gensor policy's walk, to try shorter ones against the same criteria)
// Construction times of naive, roller and gensor are the median of --repeat runs
// (the same seed gives the same result), to damp a busy machine's noise.
// Suites are read from samples/suites by the front end.
// `Gensor.Bench sass ...` prints instead what ptxas makes of the kernels (SassTable.cs).
if (args is ["sass", .. var sassArgs])
{
    return SassTable.Run(sassArgs);
}
// `Gensor.Bench cold ...`: construction in a fresh gensor process per operator (ColdTable.cs);
// `Gensor.Bench samples ...`: each sample's tune on the CPU accelerator (SampleTable.cs).
if (args is ["cold", .. var coldArgs])
{
    return ColdTable.Run(coldArgs);
}
if (args is ["samples", .. var sampleArgs])
{
    return SampleTable.Run(sampleArgs);
}
// `Gensor.Bench registers ...`: the model's register estimate against ptxas (RegisterTable.cs).
if (args is ["registers", .. var registerArgs])
{
    return RegisterTable.Run(registerArgs);
}
// `Gensor.Bench tc-registers ...`: the tensor-core tiling's register estimate against ptxas (TensorCoreRegisterTable.cs).
if (args is ["tc-registers", .. var tensorCoreArgs])
{
    return TensorCoreRegisterTable.Run(tensorCoreArgs);
}
// `Gensor.Bench reference`: the reference evaluator's speed (ReferenceTable.cs).
if (args is ["reference", .. var referenceArgs])
{
    return ReferenceTable.Run(referenceArgs);
}
// `Gensor.Bench issue ...`: the model's issue term against ptxas's main loops (IssueTable.cs).
if (args is ["issue", .. var issueArgs])
{
    return IssueTable.Run(issueArgs);
}
// `Gensor.Bench seeds ...`: how the gensor policy's estimate varies with its seed (SeedTable.cs).
if (args is ["seeds", .. var seedArgs])
{
    return SeedTable.Run(seedArgs);
}
var profileName = "h100";
var suites = new List<string>();
var seed = 0;
var exhaustive = true;
var repeat = 3;
var walkers = GensorPolicy.DefaultWalkers;
var steps = GensorPolicy.DefaultSteps;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--profile": profileName = args[++i]; break;
        case "--suite": suites.Add(args[++i]); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--no-exhaustive": exhaustive = false; break;
        case "--repeat": repeat = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
        case "--walkers": walkers = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
        case "--steps": steps = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
        default: Console.Error.WriteLine($"error: unknown option '{args[i]}'"); return 2;
    }
}
if (suites.Count == 0)
{
    suites.AddRange(SuiteFiles.Defaults);
}
HardwareProfile profile;
try
{
    profile = ProfileCatalog.Get(profileName);
}
catch (GensorException error)
{
    Console.Error.WriteLine(error.Error);
    return error.Error.ExitCode;
}

var options = new ConstructionOptions(TopK: 10, Seed: seed);
var naive = new NaivePolicy();
var roller = new RollerPolicy();
var gensor = new GensorPolicy(walkers, steps);
// Twice the CLI's limit: reduce runs (bafdcf9) doubled the staged part of the space, which took batch-1 s1_reduce_first,
// s1_expand and s1_downsample (17.6M and 25.3M states) past 16M; each takes seconds to enumerate.
var oracle = new ExhaustivePolicy(2 * ExhaustivePolicy.DefaultMaxStates);
IReadOnlyList<SuiteEntry>[] loaded;
try
{
    loaded = [.. suites.Select(SuiteFiles.Load)];
}
catch (GensorException error)
{
    Console.Error.WriteLine(error.Error);
    return error.Error.ExitCode;
}
// Warm up the JIT so the first operator's times are not compile times.
var warm = loaded[^1][^1].Operator;
foreach (var policy in new ISchedulePolicy[] { naive, roller, gensor })
{
    policy.Construct(warm, profile, options);
}

var invariant = CultureInfo.InvariantCulture;
var allRoller = new List<double>();
var allExhaustive = new List<double>();
var gensorTimes = new List<double>();
var worseThanRoller = 0;
var total = 0;
for (var index = 0; index < suites.Count; index++)
{
    var suite = suites[index];
    Console.WriteLine($"suite {suite} on {profile.Name}");
    Console.WriteLine(string.Format(invariant, "{0,-24} {1,3} {2,10} {3,10} {4,10} {5,10} {6,6} {7,6} {8,22} {9,22}",
        "operator", "n", "naive ms", "roller ms", "gensor ms", "exhaust ms", "g/r", "g/e", "states r/g/e", "construct ms r/g/e"));
    var suiteRoller = new List<double>();
    var suiteExhaustive = new List<double>();
    foreach (var entry in loaded[index])
    {
        var op = entry.Operator;
        var n = Timed(naive, op);
        var r = Timed(roller, op);
        var g = Timed(gensor, op);
        ConstructionResult? e = null;
        if (exhaustive && ScheduleSpace.For(op).Size <= oracle.MaxStates)
        {
            e = oracle.Construct(op, profile, options);
        }
        var best = (ConstructionResult result) => result.Candidates[0].EstimatedMs;
        var gr = best(g) / best(r);
        suiteRoller.Add(gr);
        gensorTimes.Add(g.ConstructMs);
        total++;
        if (gr > 1 + 1e-9)
        {
            worseThanRoller++;
        }
        string ge = "-", eMs = "-", eStates = $"({ScheduleSpace.For(op).Size})", eTime = "-";
        if (e is not null)
        {
            var ratio = best(g) / best(e);
            suiteExhaustive.Add(ratio);
            ge = ratio.ToString("F3", invariant);
            eMs = best(e).ToString("F4", invariant);
            eStates = e.StatesVisited.ToString(invariant);
            eTime = e.ConstructMs.ToString("F0", invariant);
        }
        Console.WriteLine(string.Format(invariant, "{0,-24} {1,3} {2,10:F4} {3,10:F4} {4,10:F4} {5,10} {6,6:F3} {7,6} {8,22} {9,22}",
            op.Name, entry.Count, best(n), best(r), best(g), eMs, gr, ge,
            $"{r.StatesVisited}/{g.StatesVisited}/{eStates}", $"{r.ConstructMs:F1}/{g.ConstructMs:F1}/{eTime}"));
    }
    Console.WriteLine(string.Format(invariant, "geomean gensor/roller {0:F3}; gensor/exhaustive {1} over {2} enumerable operators",
        GeoMean(suiteRoller), suiteExhaustive.Count > 0 ? GeoMean(suiteExhaustive).ToString("F3", invariant) : "-", suiteExhaustive.Count));
    Console.WriteLine();
    allRoller.AddRange(suiteRoller);
    allExhaustive.AddRange(suiteExhaustive);
}
Console.WriteLine(string.Format(invariant,
    "overall: geomean gensor/roller {0:F3}, gensor worse than roller on {1} of {2}; geomean gensor/exhaustive {3}; worst gensor/exhaustive {4}; gensor construction max {5:F1} ms, mean {6:F1} ms",
    GeoMean(allRoller), worseThanRoller, total,
    allExhaustive.Count > 0 ? GeoMean(allExhaustive).ToString("F4", invariant) : "-",
    allExhaustive.Count > 0 ? allExhaustive.Max().ToString("F4", invariant) : "-",
    gensorTimes.Max(), gensorTimes.Average()));
return 0;

ConstructionResult Timed(ISchedulePolicy policy, Gensor.Etir.Operator op)
{
    var runs = Enumerable.Range(0, repeat).Select(_ => policy.Construct(op, profile, options)).ToArray();
    var median = runs.Select(run => run.ConstructMs).Order().ElementAt(runs.Length / 2);
    return runs[0] with { ConstructMs = median };
}

static double GeoMean(IReadOnlyCollection<double> values) =>
    values.Count == 0 ? double.NaN : Math.Exp(values.Sum(Math.Log) / values.Count);
