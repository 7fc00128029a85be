using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.Json;
using Gensor.Cli.Reporting;
using Gensor.Diagnostics;
using Gensor.Hardware;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using Microsoft.Extensions.Logging;
using ScottPlot;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor report RECORDS --out DIR</c>: pictures of a records file. For each
/// operator and device, every measured kernel of each policy against the others
/// and the tuning curve; for each device, a roofline of the best kernels; and
/// an index.html that shows them all. Each picture is written as SVG and PNG.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var file = new Argument<string>("RECORDS") { Description = "A records file (JSON Lines written by tune and batch with --records)." };
        var output = new Option<string>("--out") { Description = "Directory to write the pictures (SVG and PNG) and index.html to.", Required = true };
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("report", "Draw a records file: each policy's measured kernels, the tuning curves and a roofline per device, as SVG and PNG with an index.html.");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var path = parse.GetValue(file)!;
                var outDir = parse.GetValue(output)!;
                // Checked before any picture is drawn, so a folder that cannot take them gets none.
                AtomicFile.CheckDirectory(outDir, ["index.html"], "--out");
                var records = CommonOptions.ReadRecords(path, cli);
                if (records.Count == 0)
                {
                    throw GensorException.BadInput($"{path}: holds no records");
                }
                var written = Write(records, outDir, Path.GetFileName(path), cli.Error);
                if (json)
                {
                    cli.Output.WriteLine(new JsonObject
                    {
                        ["index"] = Path.Combine(outDir, "index.html"),
                        ["files"] = new JsonArray(written.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()),
                    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
                else
                {
                    cli.Output.WriteLine($"wrote:     {NumberText.Count(written.Count, "file")} to {Printable.Text(outDir)}");
                    cli.Output.WriteLine($"open:      {Printable.Text(Path.Combine(outDir, "index.html"))}");
                }
                return 0;
            });
        });
        return command;
    }

    private static List<string> Write(IReadOnlyList<TuningRecord> records, string outDir, string source, TextWriter error)
    {
        // Every picture is drawn in memory first and the folder gets them with the page as one set:
        // drawn in place, a kill left a 0-byte PNG beside an old index.html (found by fuzzing).
        var files = new List<(string Path, byte[] Content)>();
        var sections = new List<ReportPage.Section>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in records.GroupBy(r => r.Device).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var simulated = device.Key.StartsWith("cpu:", StringComparison.Ordinal);
            var note = simulated ? " Times from ILGPU's CPU accelerator simulate GPU threads and say nothing about a GPU." : "";
            var rooflinePoints = new List<(string, Performance)>();
            var profile = ProfileOf(device.Key, device);
            foreach (var op in device.GroupBy(r => r.OpHash).OrderBy(g => g.Last().Name, StringComparer.Ordinal))
            {
                var name = op.Last().Name;
                var slug = Unique(used, Slug($"{name}-{device.Key.Split(':')[0]}-{op.Key[..8]}"));
                var opRecords = op.ToArray();
                var verified = opRecords.Where(r => r.Verified && r.MeasuredMs is > 0).ToArray();
                var pictures = new List<ReportPage.Picture>
                {
                    Save(ReportCharts.Kernels($"{name} on {device.Key}: measured kernels per policy", opRecords), outDir, slug + "-kernels", files, $"{name}: kernels per policy"),
                    Save(ReportCharts.TuningCurve($"{name} on {device.Key}: tuning curve", opRecords), outDir, slug + "-tuning", files, $"{name}: tuning curve"),
                };
                var best = verified.MinBy(r => r.MeasuredMs);
                var text = best is null
                    ? $"{NumberText.Count(opRecords.Length, "record")}, none verified.{note}"
                    : $"{NumberText.Count(opRecords.Length, "record")}; best {NumberText.Ms(best.MeasuredMs!.Value)} ms by {best.Policy} ({best.Schedule}).{note}";
                sections.Add(new ReportPage.Section($"{name} on {device.Key}", text, pictures));
                if (best is not null && profile is not null && RecordedOperator.TryRebuild(best.Op, best.OpHash) is { } parsed)
                {
                    rooflinePoints.Add((name, Performance.Of(parsed, best.MeasuredMs!.Value, profile)));
                }
            }
            if (profile is null)
            {
                error.WriteLine($"note: no roofline for {device.Key}: its records name no built-in profile");
                continue;
            }
            if (rooflinePoints.Count > 0)
            {
                var slug = Unique(used, Slug($"roofline-{device.Key}"));
                var picture = Save(ReportCharts.Roofline($"Roofline of {device.Key} ({profile.Name} profile)", profile, rooflinePoints), outDir, slug, files, $"roofline of {device.Key}");
                sections.Insert(sections.Count - device.GroupBy(r => r.OpHash).Count(), new ReportPage.Section(
                    $"Roofline: {device.Key}", $"The best kernel of each operator against the {profile.Name} profile's roof.{note}", [picture]));
            }
        }
        var index = Path.Combine(outDir, "index.html");
        files.Add((index, new System.Text.UTF8Encoding(false).GetBytes(ReportPage.Html($"Gensor report: {source}",
            $"{NumberText.Count(records.Count, "record")} of {NumberText.Count(records.Select(r => r.OpHash).Distinct().Count(), "operator")} on {NumberText.Count(records.Select(r => r.Device).Distinct().Count(), "device")}.", sections))));
        AtomicFile.WriteAllInFolder(outDir, files);
        return files.Select(f => f.Path).ToList();
    }

    /// <summary>The profile a device's roofline is drawn against: cpu for the simulator, else the profile most of its records were made for.</summary>
    private static HardwareProfile? ProfileOf(string device, IEnumerable<TuningRecord> records)
    {
        var name = device.StartsWith("cpu:", StringComparison.Ordinal)
            ? "cpu"
            : records.GroupBy(r => r.Profile).OrderByDescending(g => g.Count()).First().Key;
        return ProfileCatalog.All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    private static ReportPage.Picture Save(Plot plot, string outDir, string stem, List<(string Path, byte[] Content)> files, string title)
    {
        files.Add((Path.Combine(outDir, stem + ".svg"), new System.Text.UTF8Encoding(false).GetBytes(plot.GetSvgXml(ReportCharts.Width, ReportCharts.Height))));
        files.Add((Path.Combine(outDir, stem + ".png"), plot.GetImageBytes(ReportCharts.Width, ReportCharts.Height, ImageFormat.Png)));
        return new ReportPage.Picture(title, stem + ".svg", stem + ".png");
    }

    /// <summary>
    /// A file name stem from <paramref name="text"/>: ASCII letters, digits, '-' and '_', at most 80 characters
    /// (the start and the end, where the device and hash are), never starting with '-' (a name a command would
    /// take for an option). A 300-character operator name made names past the system's limit (found by fuzzing).
    /// </summary>
    private static string Slug(string text)
    {
        var slug = new string(text.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? char.ToLowerInvariant(c) : '_').ToArray()).Trim('_').TrimStart('-');
        slug = slug.Length > 80 ? slug[..50] + "_" + slug[^29..] : slug;
        return slug.Length == 0 ? "operator" : slug;
    }

    private static string Unique(HashSet<string> used, string slug)
    {
        var candidate = slug;
        for (var i = 2; !used.Add(candidate); i++)
        {
            candidate = $"{slug}-{i}";
        }
        return candidate;
    }
}
