using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;
using Gensor.Files;
using Gensor.Hardware;
using Gensor.Tuning.Calibration;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor calibrate RECORDS --out PROFILE.json</c>: fits a profile's cost-model
/// constants to the measured, verified records of one device and writes the
/// calibrated profile, which <c>--target</c> reads. Prints the fit before and after.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var files = new Argument<string[]>("RECORDS") { Description = "Records files (JSON Lines from tune/batch --records).", Arity = ArgumentArity.OneOrMore };
        var baseProfile = new Option<string?>("--profile") { Description = "The profile to start from: a built-in name or a JSON file. Default: the profile the records were made for." };
        var device = new Option<string?>("--device") { Description = "The device whose records to use: its full name as records give it, or its kind (cpu, cuda, opencl). Needed when the records hold several." };
        var output = new Option<string>("--out", "-o") { Description = "The calibrated profile JSON to write (for --target).", Required = true };
        var name = new Option<string?>("--name") { Description = "The calibrated profile's name. Default: the base profile's name with -calibrated." };
        var fit = new Option<string?>("--fit") { Description = $"The constants to consider, comma-separated. Default: all of {string.Join(", ", CalibrationParameter.All.Select(p => p.Name))}." };
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("calibrate", "Fit a profile's cost-model constants to measured, verified records of one device; write the calibrated profile.");
        command.Arguments.Add(files);
        foreach (var option in new Option[] { baseProfile, device, output, name, fit, format, verbose })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var paths = parse.GetValue(files)!;
                foreach (var path in paths.Where(p => !File.Exists(p)))
                {
                    throw GensorException.BadInput($"{path}: no such file");
                }
                var outPath = parse.GetValue(output)!;
                AtomicFile.CheckFile(outPath, "--out");
                if (paths.FirstOrDefault(path => OutputPath.SameFile(path, outPath)) is { } input)
                {
                    throw GensorException.BadInput($"--out {Printable.Text(outPath)} is the records file {Printable.Text(input)}: the profile would replace it");
                }
                // The profile it writes must be one that --target reads.
                if (parse.GetValue(name) is { } given)
                {
                    Printable.CheckName(given, "--name");
                }
                var considered = ParseFit(parse.GetValue(fit));
                using var logs = cli.CreateLoggerFactory();
                var logger = logs.CreateLogger("gensor");
                var records = paths.SelectMany(path => RecordReader.Read(path, logger)).ToArray();
                var set = CalibrationSet.Select(records, parse.GetValue(device));
                if (set.Samples.Count == 0)
                {
                    throw GensorException.BadInput($"{string.Join(", ", paths)}: no usable records of {set.Device} ({Skipped(set)})");
                }
                var start = BaseProfile(parse.GetValue(baseProfile), set);
                var profileName = parse.GetValue(name) ?? $"{start.Name}-calibrated";
                Printable.CheckName(profileName, $"the calibrated profile's name ('{start.Name}' + '-calibrated'; --name gives another)");
                var result = Calibrator.Fit(set.Samples, start, considered);
                var profile = result.Profile with { Name = profileName };
                // The report is made before the profile is written, so that a run that fails writes nothing.
                var report = new StringWriter { NewLine = "\n" };
                if (json)
                {
                    report.WriteLine(ToJson(paths, set, start, profile, result, outPath).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
                else
                {
                    WriteText(report, paths, set, start, profile, result, outPath);
                }
                Write(outPath, ProfileCatalog.ToJson(profile));
                cli.Output.Write(report.ToString());
                return 0;
            });
        });
        return command;
    }

    private static IReadOnlyList<CalibrationParameter>? ParseFit(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw GensorException.BadInput($"--fit names no constant (known: {string.Join(", ", CalibrationParameter.All.Select(p => p.Name))})");
        }
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw GensorException.BadInput($"--fit names '{Printable.Text(twice.Key)}' twice");
        }
        return names
            .Select(n => CalibrationParameter.Named(n)
                ?? throw GensorException.BadInput($"--fit: unknown constant '{Printable.Text(n)}' (known: {string.Join(", ", CalibrationParameter.All.Select(p => p.Name))})"))
            .ToArray();
    }

    private static HardwareProfile BaseProfile(string? given, CalibrationSet set)
    {
        if (given is not null)
        {
            return ProfileCatalog.Get(given);
        }
        // A record's profile is a name from an untrusted file: only a built-in one is taken, never a path it names.
        return ProfileCatalog.All.FirstOrDefault(p => string.Equals(p.Name, set.Profile, StringComparison.OrdinalIgnoreCase))
            ?? throw GensorException.BadInput($"the records of {Printable.Text(set.Device)} were made for profile '{Printable.Text(set.Profile)}', which is not built in; give the base profile with --profile");
    }

    /// <summary>Fails before any work when <paramref name="path"/> cannot be written: a missing folder, or a folder in its place.</summary>
    private static void Write(string path, string content)
    {
        try
        {
            AtomicFile.Write(path, content);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw GensorException.BadInput($"--out {path}: cannot write ({error.Message})");
        }
    }

    private static string Skipped(CalibrationSet set) =>
        set.Skipped.Count == 0 ? "none skipped" : string.Join("; ", set.Skipped.Select(s => $"{s.Count} {s.Reason}"));

    private static string Number(double value) =>
        value == 0 ? "0" : Math.Abs(value) >= 1e5 || Math.Abs(value) < 1e-3
            ? value.ToString("0.###E+0", CultureInfo.InvariantCulture)
            : value.ToString("G5", CultureInfo.InvariantCulture);

    private static string Fixed(double? value, string format = "F3") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static void WriteText(TextWriter o, string[] paths, CalibrationSet set, HardwareProfile start, HardwareProfile profile, CalibrationResult result, string outPath)
    {
        var operators = set.Samples.Select(s => s.OpHash).Distinct().Count();
        o.WriteLine($"records:   {string.Join(", ", paths)}: {set.Total} records; {set.Samples.Count} used ({operators} operators), {set.Total - set.Samples.Count} skipped (only verified, timed records count)");
        if (set.Skipped.Count > 0)
        {
            o.WriteLine($"skipped:   {Skipped(set)}");
        }
        if (set.OtherBuildSamples > 0)
        {
            o.WriteLine($"versions:  {set.OtherBuildSamples} of {set.Samples.Count} used records were measured by another build of gensor ({string.Join("; ", set.OtherBuilds.Select(v => $"{Printable.Text(v.Version)}: {v.Count}"))}), not this one ({TuningRecord.ToolVersion}): {CalibrationSet.OtherBuildsCaution}");
        }
        o.WriteLine($"registers: {set.SamplesWithRegisters} of {set.Samples.Count} used records carry their kernel's registers by ptxas and are estimated with them; {CalibrationSet.RegistersCaution}");
        o.WriteLine($"device:    {set.Device}");
        o.WriteLine($"base:      {start.Name}");
        o.WriteLine($"  {"constant",-20} {"before",12} {"after",12}  ");
        foreach (var p in result.Parameters)
        {
            var status = p.Fitted ? (p.Note is null ? "fitted" : $"fitted, {p.Note}") : $"kept: {p.Note}";
            o.WriteLine($"  {p.Name,-20} {Number(p.Before),12} {Number(p.After),12}  {status}");
        }
        o.WriteLine($"fit:       {"before",8} {"after",8}  ({result.Evaluations} evaluations)");
        o.WriteLine($"  median |log error|        {Fixed(result.Before.MedianAbsLogError),8} {Fixed(result.After.MedianAbsLogError),8}");
        o.WriteLine($"  spearman, all records     {Fixed(result.Before.Spearman),8} {Fixed(result.After.Spearman),8}");
        o.WriteLine($"  spearman, operator mean   {Fixed(result.Before.MeanOperatorSpearman),8} {Fixed(result.After.MeanOperatorSpearman),8}");
        o.WriteLine($"  first choice / fastest    {Fixed(result.Before.GeomeanFirstChoiceOverBest),8} {Fixed(result.After.GeomeanFirstChoiceOverBest),8}  (geometric mean over operators)");
        o.WriteLine("per operator:");
        o.WriteLine($"  {"operator",-22} {"records",7} {"spearman before",16} {"after",6} {"|log err| before",17} {"after",6} {"first/fastest before",21} {"after",6}");
        foreach (var (b, a) in result.Before.Operators.Zip(result.After.Operators))
        {
            o.WriteLine($"  {b.Name,-22} {b.Count,7} {Fixed(b.Spearman),16} {Fixed(a.Spearman),6} {Fixed(b.MedianAbsLogError),17} {Fixed(a.MedianAbsLogError),6} {Fixed(b.FirstChoiceOverBest),21} {Fixed(a.FirstChoiceOverBest),6}");
        }
        if (result.After.Misordered.Count > 0)
        {
            o.WriteLine("worst-ordered pairs after the fit (one operator's kernels that the estimates order the other way; time them again with today's kernels, e.g. in bench/gpu/pairs.tsv):");
            foreach (var pair in result.After.Misordered)
            {
                o.WriteLine($"  {pair.Name}: measured {Fixed(pair.MeasuredRatio, "F2")}x slower, estimated {Fixed(pair.EstimatedRatio, "F2")}x: {pair.Slower.Schedule} ({Number(pair.Slower.MeasuredMs)} ms, estimated {Number(pair.Slower.EstimatedMs)}) against {pair.Faster.Schedule} ({Number(pair.Faster.MeasuredMs)} ms, estimated {Number(pair.Faster.EstimatedMs)})");
            }
        }
        o.WriteLine($"wrote:     {Printable.Text(outPath)} (profile '{profile.Name}'; use it with --target {Printable.Text(outPath)})");
    }

    private static JsonObject ToJson(string[] paths, CalibrationSet set, HardwareProfile start, HardwareProfile profile, CalibrationResult result, string outPath) => new()
    {
        ["records"] = new JsonObject
        {
            ["files"] = new JsonArray(paths.Select(p => (JsonNode)p).ToArray()),
            ["total"] = set.Total,
            ["used"] = set.Samples.Count,
            ["operators"] = set.Samples.Select(s => s.OpHash).Distinct().Count(),
            ["rule"] = "only verified, timed records count",
            ["skipped"] = new JsonArray(set.Skipped.Select(s => (JsonNode)new JsonObject { ["reason"] = s.Reason, ["count"] = s.Count }).ToArray()),
            ["with_registers"] = set.SamplesWithRegisters,
            ["versions"] = new JsonArray(set.Versions.Select(v => (JsonNode)new JsonObject
            {
                ["version"] = v.Version,
                ["count"] = v.Count,
                ["this_build"] = TuningRecord.SameBuild(v.Version, TuningRecord.ToolVersion),
            }).ToArray()),
        },
        ["tool_version"] = TuningRecord.ToolVersion,
        ["device"] = set.Device,
        ["base_profile"] = start.Name,
        ["profile"] = profile.Name,
        ["out"] = outPath,
        ["parameters"] = new JsonArray(result.Parameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["before"] = p.Before,
            ["after"] = p.After,
            ["fitted"] = p.Fitted,
            ["note"] = p.Note,
        }).ToArray()),
        ["before"] = Quality(result.Before),
        ["after"] = Quality(result.After),
        ["evaluations"] = result.Evaluations,
    };

    internal static JsonObject Quality(FitQuality quality) => new()
    {
        ["median_abs_log_error"] = quality.MedianAbsLogError,
        ["spearman"] = quality.Spearman,
        ["mean_operator_spearman"] = quality.MeanOperatorSpearman,
        ["geomean_first_choice_over_fastest"] = JsonNumber.Finite(quality.GeomeanFirstChoiceOverBest),
        ["operators"] = new JsonArray(quality.Operators.Select(o => (JsonNode)new JsonObject
        {
            ["name"] = o.Name,
            ["op_hash"] = o.OpHash,
            ["records"] = o.Count,
            ["spearman"] = o.Spearman,
            ["median_abs_log_error"] = o.MedianAbsLogError,
            ["first_choice_over_fastest"] = JsonNumber.Finite(o.FirstChoiceOverBest),
        }).ToArray()),
        ["misordered_pairs"] = new JsonArray(quality.Misordered.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["op_hash"] = p.OpHash,
            ["measured_ratio"] = p.MeasuredRatio,
            ["estimated_ratio"] = JsonNumber.Finite(p.EstimatedRatio),
            ["slower"] = Kernel(p.Slower),
            ["faster"] = Kernel(p.Faster),
        }).ToArray()),
    };

    private static JsonObject Kernel(TimedKernel kernel) => new()
    {
        ["schedule"] = kernel.Schedule.ToString(),
        ["measured_ms"] = kernel.MeasuredMs,
        ["estimated_ms"] = JsonNumber.Finite(kernel.EstimatedMs),
    };
}
