using System.CommandLine;
using System.Runtime.InteropServices;
using Gensor.Diagnostics;
using Gensor.Tuning;
using Gensor.Tuning.Batch;
using Gensor.Tuning.Reports;

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
        var dtype = CommonOptions.Dtype();
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Do not also tune with the naive and roller policies (the per-policy columns stay empty)." };
        var command = new Command("batch", "Tune every operator of a suite; operators equal up to names are tuned once.");
        command.Arguments.Add(suite);
        tuning.AddTo(command);
        foreach (var option in new Option[] { format, verbose, shard, dtype, noBaselines })
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
                var plan = BatchPlan.Read(parse.GetValue(suite)!, CommonOptions.ParseDtype(parse.GetValue(dtype)), settings.MemoryLimitBytes).InShard(part);
                if (part.Count > 1)
                {
                    cli.Error.WriteLine($"shard {part}: {plan.Entries.Count} of {plan.SuiteSize} operators");
                }
                var summary = Run(cli, settings, plan, !parse.GetValue(noBaselines), result =>
                {
                    if (json)
                    {
                        cli.Output.WriteLine(result.ToJsonText());
                    }
                    else
                    {
                        result.WriteText(cli.Output);
                    }
                });
                return summary.ExitCode;
            });
        });
        return command;
    }

    /// <summary>
    /// Opens the device and tunes every operator of the plan, with progress on
    /// stderr, then hands the summary to <paramref name="print"/> once. A batch
    /// stopped with Ctrl+C or a kill (SIGINT, SIGTERM) hands over the summary of
    /// the operators done so far, marked interrupted, and the signal then ends
    /// the process as usual. <paramref name="opened"/> runs once the device is open and the records file read.
    /// </summary>
    internal static BatchSummary Run(CliContext cli, TuningSettings settings, BatchPlan plan, bool baselines, Action<BatchSummary> print, Action? opened = null)
    {
        using var session = settings.Open(cli);
        // What a caller writes only once the device and the records file passed their checks (tune-model's suite).
        opened?.Invoke();
        var options = new BatchOptions(settings.Policy, session.Target, session.DeviceProfile, session.TopK, settings.Seed, baselines, settings.Force, session.Compiler);
        var runner = new BatchRunner(session.Tuner, session.Records, options, session.Logger);
        var progress = BatchProgressDisplay.ForConsole(cli.Error);
        var done = new List<BatchResult>();
        var gate = new object();
        var printed = false;
        void PrintOnce(BatchSummary summary)
        {
            lock (gate)
            {
                if (printed)
                {
                    return;
                }
                printed = true;
                progress.Stop();
                print(summary);
                cli.Output.Flush();
            }
        }
        // The summary of the operators done so far, for a batch that a signal or a failure ends early.
        BatchSummary SoFar()
        {
            lock (gate)
            {
                return new BatchSummary(plan.Suite, settings.Policy.Name, session.Tuner.DeviceName, done.ToArray())
                {
                    Shard = plan.Shard, SuiteSize = plan.SuiteSize, Planned = plan.Entries.Count,
                };
            }
        }
        void Interrupted(PosixSignalContext signal)
        {
            var soFar = SoFar() with { InterruptedBy = signal.Signal };
            cli.Error.WriteLine($"{(signal.Signal == PosixSignal.SIGINT ? "interrupted" : "terminated")}: the summary of the {NumberText.Count(soFar.Results.Count, "operator")} done so far follows");
            PrintOnce(soFar);
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);
        BatchSummary summary;
        try
        {
            summary = runner.Run(plan, progress, result =>
            {
                lock (gate)
                {
                    done.Add(result);
                }
            });
        }
        catch (GensorException failure) when (failure.Error.Kind == ErrorKind.Internal)
        {
            // The environment ended the batch (its records file could not be written): the operators done still get
            // their summary, as after Ctrl+C, and the error line and exit code follow from the caller's guard.
            PrintOnce(SoFar() with { StoppedBy = failure.Error.Message });
            throw;
        }
        PrintOnce(summary);
        return summary;
    }
}
