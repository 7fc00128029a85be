using System.Globalization;
using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench registers</c>: how well the cost model's register estimate
/// (<see cref="OperatorAnalysis.RegistersPerThread"/>) knows what ptxas makes of the kernels
/// construction ranks highest, before the compiler check corrects them. For every operator of
/// the suites, the policy's leading candidates under the model are compiled with ptxas; the table
/// gives, per operator, how many spill and how many of those the estimate put over the register
/// limit (which would have ruled them out), and for the ones that fit, the estimate against
/// ptxas's count. <c>--rows FILE</c> also writes every kernel as a tab-separated line (its
/// schedule, ptxas's registers and spills, the estimate and the stage's shape);
/// <c>--from-rows FILE</c> reads such a file instead of compiling and sets today's estimate
/// against the registers ptxas gave then, which makes refitting the estimate a matter of seconds
/// (valid while the lowering of those schedules is unchanged); with <c>--rows OUT</c> as well it
/// writes those kernels again with today's estimate, to compare kernel by kernel. Usage:
/// <c>registers [--profile h100] [--policy gensor] [--top 10] [--rows FILE] [--from-rows FILE] [SUITE]...</c>.
/// </summary>
internal static class RegisterTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    /// <summary>What ptxas made of one candidate: its rank under the model, registers and spill.</summary>
    private sealed record Compiled(Schedule Schedule, int Rank, int Registers, int SpillStoreBytes, int SpillLoadBytes);

    public static int Run(string[] args) => SuiteArguments.Run(() =>
    {
        var arguments = SuiteArguments.Parse(args, "--profile", "--policy", "--top", "--rows", "--from-rows");
        var profile = SuiteArguments.NvidiaProfile(arguments.Text("--profile", "h100"));
        var fromRows = arguments.Text("--from-rows", "");
        var rowsPath = arguments.Text("--rows", "");
        if (fromRows.Length > 0)
        {
            var recorded = ReadRows(fromRows);
            if (rowsPath.Length > 0 && Path.GetFullPath(rowsPath) == Path.GetFullPath(fromRows))
            {
                throw GensorException.BadInput($"--rows: '{rowsPath}' is the --from-rows file; write the rescored rows elsewhere");
            }
            using var rescored = OpenRows(rowsPath);
            Print(arguments.Suites, profile, $"the kernels of {fromRows}", "ptxas as recorded there", (suite, op) =>
            {
                var kernels = recorded.GetValueOrDefault((suite, op.Name), []);
                foreach (var kernel in kernels)
                {
                    rescored?.WriteLine(Row(suite, op, kernel));
                }
                return kernels;
            }, args);
            return 0;
        }
        if (SuiteArguments.NvidiaToolsOrReport() is not { } tools)
        {
            return 1;
        }
        var policy = PolicyCatalog.Get(arguments.Text("--policy", "gensor"));
        var top = arguments.Count("--top", 10);
        using var rows = OpenRows(rowsPath);
        var feedback = new NvidiaCompilerFeedback(tools, disassemble: false);
        Print(arguments.Suites, profile, $"{policy.Name}'s leading {top} candidates", $"ptxas {tools.Release.ToString(2)} ({tools.Origin})", (suite, op) =>
        {
            var schedules = policy.Construct(op, profile, new ConstructionOptions(top, 0)).Candidates.Select(c => c.Schedule).ToArray();
            var compiled = new List<Compiled>();
            foreach (var result in feedback.Inspect(op, schedules, profile))
            {
                if (result.Resources is { } r)
                {
                    var kernel = new Compiled(result.Schedule, Array.IndexOf(schedules, result.Schedule), r.Registers, r.SpillStoreBytes, r.SpillLoadBytes);
                    compiled.Add(kernel);
                    rows?.WriteLine(Row(suite, op, kernel));
                }
            }
            return compiled;
        }, args);
        return 0;
    });

    private static readonly string[] RowColumns =
    [
        "suite", "operator", "rank", "schedule", "ptxas_registers", "spill_store_bytes", "spill_load_bytes", "estimate",
        "unrolled_points", "barrier_in_stage", "staged_reads", "reads", "outputs_per_thread", "reduce_threads", "stages_per_block",
        "copy_coordinates", "operands", "copy_values", "window_checks", "copy_held",
    ];

    /// <summary>The cells <c>--from-rows</c> reads (suite to spill loads); the others describe the kernel for fitting, and files written before a column was added still read.</summary>
    private const int ReadColumns = 7;

    /// <summary>A <c>--rows</c> file with its header written, or null without one.</summary>
    private static StreamWriter? OpenRows(string path)
    {
        if (path.Length == 0)
        {
            return null;
        }
        var writer = new StreamWriter(path);
        writer.WriteLine(string.Join('\t', RowColumns));
        return writer;
    }

    private static string Row(string suite, Operator op, Compiled kernel)
    {
        var schedule = kernel.Schedule;
        var reads = op.BodyReads.Select(read => read.Tensor).Distinct().ToArray();
        var barrier = !OperatorAnalysis.NoBarrierInStage(schedule);
        var analysis = OperatorAnalysis.Of(op);
        var terms = analysis.EstimateRegisters(schedule);
        return string.Join('\t', suite, op.Name, kernel.Rank, schedule, kernel.Registers, kernel.SpillStoreBytes, kernel.SpillLoadBytes, terms.Total,
            OperatorAnalysis.UnrolledPoints(schedule), barrier ? 1 : 0, reads.Count(schedule.IsShared), reads.Length, schedule.OutputsPerThread, schedule.ReduceThreads,
            analysis.StagesPerBlock(schedule),
            terms.CopyCoordinates, terms.Operands, terms.CopyValues, terms.WindowChecks, terms.CopyHeld ? 1 : 0);
    }

    /// <summary>The kernels of a <c>--rows</c> file by suite and operator name.</summary>
    private static Dictionary<(string Suite, string Operator), List<Compiled>> ReadRows(string path)
    {
        if (!File.Exists(path))
        {
            throw GensorException.BadInput($"--from-rows: no file '{path}'");
        }
        var kernels = new Dictionary<(string, string), List<Compiled>>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split('\t');
            if (cells.Length < ReadColumns)
            {
                throw GensorException.BadInput($"--from-rows: '{path}' has a line of {cells.Length} cells, fewer than {ReadColumns}: {line}");
            }
            int Number(int cell) => int.Parse(cells[cell], NumberStyles.AllowLeadingSign, _invariant);
            var key = (cells[0], cells[1]);
            if (!kernels.TryGetValue(key, out var list))
            {
                kernels[key] = list = [];
            }
            list.Add(new Compiled(Schedule.Parse(cells[3]), Number(2), Number(4), Number(5), Number(6)));
        }
        return kernels;
    }

    private static void Print(IReadOnlyList<string> suites, HardwareProfile profile, string kernelsText, string compilerText,
        Func<string, Operator, IReadOnlyList<Compiled>> compile, string[] args)
    {
        Console.WriteLine($"# Register estimate against ptxas, {kernelsText} for {profile.Name} ({profile.Architecture})");
        Console.WriteLine();
        Console.WriteLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(SassTable.Commit() is { } commit ? $" at commit {commit}" : "")} by `dotnet run -c Release --project bench/Gensor.Bench -- registers {string.Join(' ', args)}`, "
            + $"{compilerText}. The candidates are ranked by the model alone (no compiler check). "
            + $"`fit`: no spill and under {profile.MaxRegistersPerThread} registers; `caught`: spilling kernels the estimate put over {profile.MaxRegistersPerThread}, which legality would have dropped.");
        int allKernels = 0, allSpills = 0, allCaught = 0, allFit = 0;
        double allLog = 0, allAbs = 0;
        foreach (var suite in suites)
        {
            Console.WriteLine();
            Console.WriteLine($"## {suite}");
            Console.WriteLine();
            Console.WriteLine("| operator | kernels | spill | caught | fit | estimate / ptxas (fit, geometric mean) | mean abs difference (fit) |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            int kernels = 0, spills = 0, caught = 0, fit = 0;
            double sumLog = 0, sumAbs = 0;
            foreach (var entry in SuiteFiles.Load(suite))
            {
                var op = entry.Operator;
                var analysis = OperatorAnalysis.Of(op);
                var compiled = compile(suite, op);
                int opSpills = 0, opCaught = 0, opFit = 0;
                double opLog = 0, opAbs = 0;
                foreach (var r in compiled)
                {
                    var estimate = analysis.RegistersPerThread(r.Schedule);
                    if (r.SpillStoreBytes > 0)
                    {
                        opSpills++;
                        opCaught += estimate > profile.MaxRegistersPerThread ? 1 : 0;
                    }
                    else if (r.Registers < profile.MaxRegistersPerThread)
                    {
                        opFit++;
                        opLog += Math.Log(estimate / (double)r.Registers);
                        opAbs += Math.Abs(estimate - r.Registers);
                    }
                }
                Console.WriteLine(string.Create(_invariant,
                    $"| {op.Name} | {compiled.Count} | {opSpills} | {opCaught} | {opFit} | {(opFit > 0 ? Math.Exp(opLog / opFit).ToString("F3", _invariant) : "-")} | {(opFit > 0 ? (opAbs / opFit).ToString("F1", _invariant) : "-")} |"));
                (kernels, spills, caught, fit, sumLog, sumAbs) = (kernels + compiled.Count, spills + opSpills, caught + opCaught, fit + opFit, sumLog + opLog, sumAbs + opAbs);
            }
            Console.WriteLine();
            Console.WriteLine(Summary("Summary", kernels, spills, caught, fit, sumLog, sumAbs));
            (allKernels, allSpills, allCaught, allFit, allLog, allAbs) = (allKernels + kernels, allSpills + spills, allCaught + caught, allFit + fit, allLog + sumLog, allAbs + sumAbs);
        }
        Console.WriteLine();
        Console.WriteLine(Summary("Overall", allKernels, allSpills, allCaught, allFit, allLog, allAbs));
    }

    private static string Summary(string label, int kernels, int spills, int caught, int fit, double sumLog, double sumAbs) => string.Create(_invariant,
        $"{label}: {kernels} kernels, {spills} spill ({caught} of them estimated over the limit), {fit} fit: estimate / ptxas geometric mean {(fit > 0 ? Math.Exp(sumLog / fit).ToString("F3", _invariant) : "-")}, mean abs difference {(fit > 0 ? (sumAbs / fit).ToString("F1", _invariant) : "-")} registers.");
}
