using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;
using Gensor.Files;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli.Commands;

/// <summary><c>gensor records best|merge</c>: read and combine records files.</summary>
internal static class RecordsCommand
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    public static Command Create(Func<bool, CliContext> context)
    {
        var command = new Command("records", "Read and combine tuning records files (JSON Lines written by tune and batch with --records).");
        command.Subcommands.Add(Best(context));
        command.Subcommands.Add(Merge(context));
        return command;
    }

    private static Command Best(Func<bool, CliContext> context)
    {
        var file = new Argument<string>("FILE") { Description = "A records file." };
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("best", "Print the fastest verified record per operator and device.");
        command.Arguments.Add(file);
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var path = parse.GetValue(file)!;
                var best = new RecordSet(CommonOptions.ReadRecords(path, cli)).BestPerOperator();
                if (json)
                {
                    var array = new JsonArray(best.Select(r => JsonNode.Parse(r.ToJsonLine())).ToArray());
                    cli.Output.WriteLine(array.ToJsonString(_indented));
                    return 0;
                }
                cli.Output.WriteLine($"{"operator",-20} {"op_hash",-16} {"measured ms",12}  {"policy",-8} {"profile",-8} {"device",-24} schedule");
                foreach (var r in best)
                {
                    var ms = NumberText.Ms(r.MeasuredMs!.Value);
                    cli.Output.WriteLine($"{r.Name,-20} {r.OpHash,-16} {ms,12}  {r.Policy,-8} {r.Profile,-8} {r.Device,-24} {r.Schedule}");
                }
                return 0;
            });
        });
        return command;
    }

    private static Command Merge(Func<bool, CliContext> context)
    {
        var files = new Argument<string[]>("FILES") { Description = "Records files to merge.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "The merged file (written atomically).", Required = true };
        var verbose = CommonOptions.Verbose();
        var command = new Command("merge", "Merge records files from several machines or shards; a candidate recorded twice is kept once (the latest).");
        command.Arguments.Add(files);
        command.Options.Add(output);
        command.Options.Add(verbose);
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var paths = parse.GetValue(files)!;
                var target = parse.GetValue(output)!;
                AtomicFile.CheckFile(target, "--out");
                RecordFile.CheckReplaceable(target, "--out");
                using var logs = cli.CreateLoggerFactory();
                var logger = logs.CreateLogger("gensor");
                // Every input is read before the output is written, so merging into one of the inputs is safe; the
                // writers' lock on the output, held from the reads to the rename, keeps a tune appending to it from
                // losing the lines it appends meanwhile.
                TuningRecord[] all;
                IReadOnlyList<TuningRecord> merged;
                // The inputs are read and checked before the lock: taking it creates the output's lock files,
                // which a refused input left behind (found by fuzzing). Only an input that is the output itself
                // is read again under the lock, where nothing can append to it any more.
                var texts = paths.Select(RecordsText).ToArray();
                using (new RecordWriter(target).Lock())
                {
                    all = paths.Select((path, i) => RecordReader.Parse(OutputPath.SameFile(path, target) ? RecordsText(path) : texts[i], path, logger))
                        .ToArray().SelectMany(records => records).ToArray();
                    merged = RecordSet.Merge(all);
                    AtomicFile.Write(target, string.Concat(merged.Select(r => r.ToJsonLine() + "\n")));
                }
                cli.Error.WriteLine($"merged {paths.Length} files: {all.Length} records, {merged.Count} kept, {all.Length - merged.Count} duplicates dropped -> {Printable.Text(target)}");
                return 0;
            });
        });
        return command;
    }

    /// <summary>The text of an input to merge; a file with no record line at all (a spec, say) is bad input, not zero records.</summary>
    private static string RecordsText(string path)
    {
        var text = RecordReader.ReadText(path);
        return RecordFile.IsRecordsText(text)
            ? text
            : throw GensorException.BadInput($"{Printable.Text(path)}: is not a records file (no line of it is a record)");
    }
}
