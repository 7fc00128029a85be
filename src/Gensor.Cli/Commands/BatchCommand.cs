using System.CommandLine;
using System.Globalization;
using Gensor.Tuning;
using Gensor.Tuning.Batch;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor batch SUITE</c>: tune every operator of a suite, with progress on
/// stderr and the summary table (or JSON) on stdout. Exit codes: 0 all
/// verified, 2 some spec was bad input, 3 some operator has no verified result.
/// </summary>
internal static class BatchCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var suite = new Argument<string>("SUITE") { Description = "A suite file: a JSON array of operator specs, each with an optional count." };
        var tuning = new TuningOptions();
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var shard = new Option<string?>("--shard") { Description = "Tune only shard I of N (e.g. 2/4), split by operator hash: N machines cover the suite once." };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Do not also tune with the naive and roller policies (the speedup columns stay empty)." };
        var command = new Command("batch", "Tune every operator of a suite; operators equal up to names are tuned once.");
        command.Arguments.Add(suite);
        tuning.AddTo(command);
        foreach (var option in new Option[] { format, verbose, shard, noBaselines })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var settings = tuning.Read(parse);
                var part = parse.GetValue(shard) is { } text ? ShardSpec.Parse(text) : ShardSpec.All;
                var plan = BatchPlan.Read(parse.GetValue(suite)!, settings.MemoryLimitBytes).Shard(part);
                if (part.Count > 1)
                {
                    cli.Error.WriteLine($"shard {part}: {plan.Entries.Count} of {plan.SuiteSize} operators");
                }
                var summary = Run(cli, settings, plan, !parse.GetValue(noBaselines));
                if (json)
                {
                    cli.Output.WriteLine(summary.ToJsonText());
                }
                else
                {
                    summary.WriteText(cli.Output);
                }
                return summary.ExitCode;
            });
        });
        return command;
    }

    /// <summary>Opens the device and tunes every operator of the plan, with progress on stderr.</summary>
    internal static BatchSummary Run(CliContext cli, TuningSettings settings, BatchPlan plan, bool baselines)
    {
        using var session = settings.Open(cli);
        var options = new BatchOptions(settings.Policy, session.Target, session.DeviceProfile, settings.TopK, settings.Seed, baselines, settings.Force);
        return new BatchRunner(session.Tuner, session.Records, options, session.Logger).Run(plan, new ProgressDisplay(cli.Error));
    }

    /// <summary>
    /// Progress on stderr. On a terminal, one live line per operator is
    /// rewritten as its phases go by; redirected, only one plain line per
    /// finished operator (<c>[3/20] conv3: 1.2340 ms (verified)</c>), which logs keep well.
    /// </summary>
    private sealed class ProgressDisplay(TextWriter error) : IBatchProgress
    {
        private const string _clearLine = "\r\u001b[2K";

        private readonly bool _live = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

        public void Started(int number, int total, string name, string phase)
        {
            if (_live)
            {
                error.Write($"{_clearLine}[{number}/{total}] {name}: tuning with {phase}...");
                error.Flush();
            }
        }

        public void Finished(int number, int total, BatchResult result)
        {
            var line = $"[{number}/{total}] {result.Entry.Name}: {Outcome(result)}";
            error.WriteLine(_live ? _clearLine + line : line);
        }

        private static string Outcome(BatchResult result)
        {
            var same = result.SameAs is not null ? $" (same operator as {result.SameAs})" : "";
            if (result.BestMs is { } ms)
            {
                var reused = result.FromRecords > 0 ? $", {result.FromRecords} from records" : "";
                return $"{ms.ToString("F4", CultureInfo.InvariantCulture)} ms (verified{reused}){same}";
            }
            return $"{(result.BadInput ? "bad input" : "failed")}: {result.Error}{same}";
        }
    }
}
