using System.CommandLine;
using Gensor.Diagnostics;
using Gensor.Files;
using Gensor.FrontEnd;
using Gensor.Onnx.Import;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor import MODEL.onnx [--batch N] [--dim NAME=N] [--out SUITE.json]</c>:
/// map an ONNX model to Gensor operators and write them as a suite that
/// <c>gensor batch</c> reads. With <c>--out</c> the suite goes to the file and
/// the report to stdout; without it the suite is the result (stdout) and the
/// report goes to stderr, so <c>gensor import m.onnx &gt; suite.json</c> works.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var model = new ModelOptions();
        var output = new Option<string?>("--out") { Description = "Write the suite to this file (default: print it to stdout, the report to stderr)." };
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("import", "Map an ONNX model to Gensor operators and write them as a suite for `gensor batch`.");
        model.AddTo(command);
        foreach (var option in new Option[] { output, format, verbose })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var path = parse.GetValue(output);
                var modelPath = model.Model(parse);
                if (path is not null)
                {
                    ModelOptions.CheckSuitePath(path, "--out");
                    if (OutputPath.SameFile(path, modelPath))
                    {
                        throw GensorException.BadInput($"--out {Printable.Text(path)} is the model itself: the suite would replace it");
                    }
                }
                var imported = OnnxImporter.Import(modelPath, model.Read(parse));
                // An empty suite is one batch refuses: say so here, as tune-model does.
                ModelOptions.RequireOperators(imported, modelPath, "the suite would be empty");
                var suite = OperatorSpecWriter.ToSuiteJson(imported.Suite);
                if (path is not null)
                {
                    ModelOptions.WriteSuite(path, suite);
                }
                else
                {
                    cli.Output.Write(suite);
                }
                var report = new ImportReport(imported, path);
                var reportWriter = path is null ? cli.Error : cli.Output;
                foreach (var warning in imported.Warnings)
                {
                    cli.Error.WriteLine($"warning: {Printable.Text(warning)}");
                }
                if (json)
                {
                    reportWriter.WriteLine(report.ToJsonText());
                }
                else
                {
                    report.WriteText(reportWriter);
                }
                return 0;
            });
        });
        return command;
    }
}
