using System.CommandLine;
using Gensor.Diagnostics;
using Gensor.Files;
using Gensor.FrontEnd;
using Gensor.Onnx.Import;
using Gensor.Tuning.Batch;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor tune-model MODEL.onnx</c>: import the model, batch-tune its suite
/// (the options and records of <c>gensor batch</c>), and print the end-to-end
/// table: per operator count x time and its share of the model total, against
/// the naive and roller baselines. Exit codes are those of <c>batch</c>.
/// </summary>
internal static class TuneModelCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var model = new ModelOptions();
        var tuning = new TuningOptions();
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Do not also tune with the naive and roller policies (the baseline columns stay empty)." };
        var saveSuite = new Option<string?>("--save-suite") { Description = "Also write the imported suite to this file (what `gensor import --out` writes)." };
        var command = new Command("tune-model", "Import an ONNX model, tune every operator, and print the model's end-to-end table.");
        model.AddTo(command);
        tuning.AddTo(command);
        foreach (var option in new Option[] { format, verbose, noBaselines, saveSuite })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                // Options and the model are checked before a device is opened or a file written.
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var settings = tuning.Read(parse);
                var suitePath = parse.GetValue(saveSuite);
                if (suitePath is not null)
                {
                    ModelOptions.CheckSuitePath(suitePath, "--save-suite");
                    if (settings.Records is { } recordsPath && OutputPath.SameFile(suitePath, recordsPath))
                    {
                        throw GensorException.BadInput($"--save-suite {Printable.Text(suitePath)} is the --records file: the suite would replace the records");
                    }
                }
                var path = model.Model(parse);
                if (suitePath is not null && OutputPath.SameFile(suitePath, path))
                {
                    throw GensorException.BadInput($"--save-suite {Printable.Text(suitePath)} is the model itself: the suite would replace it");
                }
                var imported = OnnxImporter.Import(path, model.Read(parse));
                ModelOptions.RequireOperators(imported, path, "there is nothing to tune");
                var suite = imported.Suite;
                foreach (var warning in imported.Warnings)
                {
                    cli.Error.WriteLine($"warning: {Printable.Text(warning)}");
                }
                void Opened()
                {
                    // Only now: a device or records file refused after the suite was written replaced a file for nothing (found by fuzzing).
                    if (suitePath is not null)
                    {
                        ModelOptions.WriteSuite(suitePath, OperatorSpecWriter.ToSuiteJson(suite));
                    }
                    cli.Error.WriteLine($"{path}: {imported.Kernels.Count} operators in {suite.Count} suite entries");
                }
                var untimed = imported.Unsupported.GroupBy(node => node.OpType).Select(group => (group.Key, group.Count())).ToArray();
                var summary = BatchCommand.Run(cli, settings, BatchPlan.From(path, suite, settings.MemoryLimitBytes), !parse.GetValue(noBaselines), done =>
                {
                    // Also what an interrupted run prints: the report of the operators done so far.
                    var report = new EndToEndReport(path, done, suite, untimed);
                    if (json)
                    {
                        cli.Output.WriteLine(report.ToJsonText());
                    }
                    else
                    {
                        report.WriteText(cli.Output);
                    }
                }, Opened);
                return summary.ExitCode;
            });
        });
        return command;
    }
}
