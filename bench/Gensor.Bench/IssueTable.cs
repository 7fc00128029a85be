using System.Globalization;
using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench issue</c>: the cost model's issue term (instructions a thread issues per stage)
/// against what ptxas makes of the same kernels. For every operator of the suites, the policy's
/// leading candidates under the model are compiled and disassembled; where the SASS main loop is one
/// stage (its multiply-adds are the stage's), the table sets the model's instructions per stage
/// against the loop's. <c>--rows FILE</c> also writes every such kernel as a tab-separated line with
/// its staged copies' loads, stores, bounds-checked chunk dimensions and carries per stage, the
/// counts the copy's charge in the issue term is fitted to (CostModel.CopyStoreInstructions).
/// Usage: <c>issue [--profile h100] [--policy gensor] [--top 4] [--rows FILE] [SUITE]...</c>.
/// </summary>
internal static class IssueTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    private static readonly string[] RowColumns =
    [
        "suite", "operator", "rank", "schedule", "loop_instructions", "loop_ffma", "model_instructions",
        "copy_load_instructions", "copy_store_instructions", "copy_checked_chunk_dimensions", "copy_carries",
    ];

    public static int Run(string[] args) => SuiteArguments.Run(() =>
    {
        var arguments = SuiteArguments.Parse(args, "--profile", "--policy", "--top", "--rows");
        var profile = SuiteArguments.NvidiaProfile(arguments.Text("--profile", "h100"));
        if (SuiteArguments.NvidiaToolsOrReport() is not { } tools)
        {
            return 1;
        }
        var policy = PolicyCatalog.Get(arguments.Text("--policy", "gensor"));
        var top = arguments.Count("--top", 4);
        var rowsPath = arguments.Text("--rows", "");
        using var rows = rowsPath.Length == 0 ? null : new StreamWriter(rowsPath);
        rows?.WriteLine(string.Join('\t', RowColumns));
        var feedback = new NvidiaCompilerFeedback(tools);
        Console.WriteLine($"# The cost model's issue term against ptxas's main loops, {policy.Name}'s leading {top} candidates for {profile.Name} ({profile.Architecture})");
        Console.WriteLine();
        Console.WriteLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(SassTable.Commit() is { } commit ? $" at commit {commit}" : "")} by `dotnet run -c Release --project bench/Gensor.Bench -- issue {string.Join(' ', args)}`, "
            + $"ptxas {tools.Release.ToString(2)} ({tools.Origin}), read back with `cuobjdump -sass`. The candidates are ranked by the model alone (no compiler check). "
            + "A kernel counts where its SASS main loop (the innermost loop with the most multiply-adds) holds exactly the model's multiply-adds of a stage: the loop is one stage. "
            + "`model / loop`: the model's instructions per stage over the loop's, static counts (each instruction once); no kernel ran.");
        var all = new List<(double Ratio, string Operator)>();
        foreach (var suite in arguments.Suites)
        {
            Console.WriteLine();
            Console.WriteLine($"## {suite}");
            Console.WriteLine();
            Console.WriteLine("| operator | kernels | one-stage loops | model / loop (geometric mean) | furthest |");
            Console.WriteLine("|---|---|---|---|---|");
            var ratios = new List<(double Ratio, string Operator)>();
            foreach (var entry in SuiteFiles.Load(suite))
            {
                var op = entry.Operator;
                var schedules = policy.Construct(op, profile, new ConstructionOptions(top, 0)).Candidates.Select(c => c.Schedule).ToArray();
                var mine = new List<double>();
                foreach (var result in feedback.Inspect(op, schedules, profile))
                {
                    var issue = CostModel.Breakdown(op, result.Schedule, profile).Issue;
                    if (result.Resources?.Instructions?.MainLoop is not { } loop || loop.Ffma != issue.FmaPerStage)
                    {
                        continue;
                    }
                    mine.Add(issue.InstructionsPerStage / loop.Instructions);
                    rows?.WriteLine(Row(suite, op, Array.IndexOf(schedules, result.Schedule), result.Schedule, loop.Instructions, loop.Ffma, issue.InstructionsPerStage));
                }
                ratios.AddRange(mine.Select(r => (r, op.Name)));
                var furthest = mine.Count > 0 ? mine.MaxBy(r => Math.Abs(Math.Log(r))) : double.NaN;
                Console.WriteLine(string.Create(_invariant,
                    $"| {op.Name} | {schedules.Length} | {mine.Count} | {(mine.Count > 0 ? Math.Exp(mine.Average(Math.Log)).ToString("F3", _invariant) : "-")} | {(mine.Count > 0 ? furthest.ToString("F3", _invariant) : "-")} |"));
            }
            Console.WriteLine();
            Console.WriteLine(Summary("Summary", ratios));
            all.AddRange(ratios);
        }
        Console.WriteLine();
        Console.WriteLine(Summary("Overall", all));
        return 0;
    });

    private static string Row(string suite, Operator op, int rank, Schedule schedule, int loopInstructions, int loopFfma, double modelInstructions)
    {
        var analysis = OperatorAnalysis.Of(op);
        var tile = new int[analysis.AxisCount];
        analysis.BlockStageTile(schedule, tile);
        long loads = 0, stores = 0, checks = 0, carries = 0;
        for (var r = 0; r < analysis.ReadCount; r++)
        {
            if (!OperatorAnalysis.IsShared(schedule, analysis.ReadTensor(r)))
            {
                continue;
            }
            var (width, vectorLoad, vectorStore, iterations) = analysis.CopyShape(r, schedule, tile);
            loads += iterations * (vectorLoad ? 1 : width);
            stores += iterations * (vectorStore ? 1 : width);
            checks += iterations * analysis.CheckedDimensions(r, schedule, reduceGuarded: false);
            carries += analysis.CopyCarries(r, schedule, tile, width, iterations);
        }
        return string.Join('\t', suite, op.Name, rank, schedule, loopInstructions, loopFfma,
            modelInstructions.ToString("F1", _invariant), loads, stores, checks, carries);
    }

    private static string Summary(string label, List<(double Ratio, string Operator)> ratios)
    {
        if (ratios.Count == 0)
        {
            return $"{label}: no kernel whose main loop is one stage.";
        }
        var worst = ratios.MaxBy(r => Math.Abs(r.Ratio - 1));
        return string.Create(_invariant,
            $"{label}: {ratios.Count} kernels whose main loop is one stage; the model's instructions per stage are {ratios.Average(r => Math.Abs(r.Ratio - 1)) * 100:F1}% from the loop's in mean, {(worst.Ratio - 1) * 100:+0.0;-0.0}% at the furthest ({worst.Operator}); geometric mean of model / loop {Math.Exp(ratios.Average(r => Math.Log(r.Ratio))):F3}.");
    }
}
