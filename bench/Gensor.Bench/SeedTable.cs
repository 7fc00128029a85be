using System.Globalization;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Hardware;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench seeds</c>: how much the gensor policy's result depends on its seed. The main
/// table runs one seed; a walk that finds a good basin from some seeds only looks fine or poor there
/// by luck. For every operator of the suites, the policy constructs with seeds 0..N-1 and the table
/// gives each seed's estimate over the best of them (geometric mean and worst), and the states
/// visited. Estimates of the cost model, nothing is measured. <c>--rows FILE</c> also writes one
/// tab-separated row per construction (suite, operator, seed, estimate, states, milliseconds, schedule):
/// the table's ratios are to the best of one run, and comparing two builds of the policy needs the
/// estimates themselves. Usage: <c>seeds [--profile h100] [--seeds 8] [--rows FILE] [SUITE]...</c>.
/// </summary>
internal static class SeedTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args) => SuiteArguments.Run(() =>
    {
        var arguments = SuiteArguments.Parse(args, "--profile", "--seeds", "--rows");
        var rowsPath = arguments.Text("--rows", "");
        using var rows = rowsPath.Length == 0 ? null : OpenRows(rowsPath);
        rows?.WriteLine("suite\toperator\tseed\testimate_ms\tstates\tconstruct_ms\tschedule");
        Print(arguments.Suites, ProfileCatalog.Get(arguments.Text("--profile", "h100")), arguments.Count("--seeds", 8), args, rows);
        return 0;
    });

    private static StreamWriter OpenRows(string path)
    {
        try
        {
            return new StreamWriter(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw GensorException.BadInput($"--rows {path}: {error.Message}");
        }
    }

    private static void Print(IReadOnlyList<string> suites, HardwareProfile profile, int seeds, string[] args, StreamWriter? rows)
    {
        Console.WriteLine($"# The gensor policy's estimate by seed, {profile.Name}");
        Console.WriteLine();
        Console.WriteLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(SassTable.Commit() is { } commit ? $" at commit {commit}" : "")} by `dotnet run -c Release --project bench/Gensor.Bench -- seeds {string.Join(' ', args)}`. "
            + $"Each operator is constructed with seeds 0 to {seeds - 1}; `mean` and `worst` are the geometric mean and the largest of each seed's estimate over the best of the {seeds} "
            + "(1.000: every seed found the same). Cost-model estimates; nothing ran.");
        double allLog = 0, allWorstLog = 0, allStates = 0;
        var allOperators = 0;
        var allWorst = 1.0;
        foreach (var suite in suites)
        {
            Console.WriteLine();
            Console.WriteLine($"## {suite}");
            Console.WriteLine();
            Console.WriteLine("| operator | best ms | mean | worst | seed 0 | states, mean |");
            Console.WriteLine("|---|---|---|---|---|---|");
            double sumLog = 0, sumWorstLog = 0;
            var operators = 0;
            foreach (var entry in SuiteFiles.Load(suite))
            {
                var runs = Enumerable.Range(0, seeds)
                    .Select(seed => new GensorPolicy().Construct(entry.Operator, profile, new ConstructionOptions(TopK: 1, Seed: seed)))
                    .ToArray();
                for (var seed = 0; seed < seeds; seed++)
                {
                    var run = runs[seed];
                    rows?.WriteLine(string.Create(_invariant,
                        $"{suite}\t{entry.Operator.Name}\t{seed}\t{run.Candidates[0].EstimatedMs:R}\t{run.StatesVisited}\t{run.ConstructMs:F1}\t{run.Candidates[0].Schedule}"));
                }
                var estimates = runs.Select(r => r.Candidates[0].EstimatedMs).ToArray();
                var best = estimates.Min();
                var mean = Math.Exp(estimates.Average(e => Math.Log(e / best)));
                var worst = estimates.Max() / best;
                var states = runs.Average(r => r.StatesVisited);
                Console.WriteLine(string.Create(_invariant,
                    $"| {entry.Operator.Name} | {best:F4} | {mean:F3} | {worst:F3} | {estimates[0] / best:F3} | {states:F0} |"));
                (sumLog, sumWorstLog, operators) = (sumLog + Math.Log(mean), sumWorstLog + Math.Log(worst), operators + 1);
                allStates += states;
                allWorst = Math.Max(allWorst, worst);
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(_invariant,
                $"Summary: {operators} operators; over them, geometric mean of `mean` {Math.Exp(sumLog / operators):F4}, of `worst` {Math.Exp(sumWorstLog / operators):F4}."));
            (allLog, allWorstLog, allOperators) = (allLog + sumLog, allWorstLog + sumWorstLog, allOperators + operators);
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(_invariant,
            $"Overall: {allOperators} operators; geometric mean of `mean` {Math.Exp(allLog / allOperators):F4}, of `worst` {Math.Exp(allWorstLog / allOperators):F4}; worst {allWorst:F3}; {allStates / allOperators:F0} states per construction."));
    }
}
