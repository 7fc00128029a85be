using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Diagnostics;
using Gensor.Tuning;
using Gensor.Tuning.Calibration;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor explain SPEC</c>: the parsed ETIR, and with <c>--policy</c> or
/// <c>--target</c> the candidates a policy constructs (no device is used to
/// run anything). With <c>--records</c>, how the profile's estimates rank the
/// operator's measured records on each device (Spearman's rank correlation).
/// </summary>
internal static class ExplainCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var spec = new SpecInput();
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var target = CommonOptions.Target();
        var policy = new Option<string?>("--policy") { Description = "Also construct with this policy: gensor, roller, exhaustive or naive." };
        var seed = CommonOptions.Seed();
        var topK = CommonOptions.TopK();
        var records = new Option<string?>("--records") { Description = "A records file: report how the profile's estimates rank this operator's measured records, per device (Spearman)." };
        var command = new Command("explain", "Print the parsed operator (ETIR) and, with --policy/--target, the constructed candidates.");
        spec.AddTo(command);
        foreach (var option in new Option[] { format, verbose, target, policy, seed, topK, records })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var k = CommonOptions.ParseTopK(parse.GetValue(topK));
                var policyName = parse.GetValue(policy);
                var targetName = parse.GetValue(target);
                var recordsPath = parse.GetValue(records);
                if (recordsPath is not null && !File.Exists(recordsPath))
                {
                    throw GensorException.BadInput($"{recordsPath}: no such file");
                }
                var chosenPolicy = policyName is not null || targetName is not null || recordsPath is not null ? PolicyCatalog.Get(policyName ?? "gensor") : null;
                var op = spec.Read(parse);
                var document = EtirJson.Operator(op);
                ConstructionResult? construction = null;
                HardwareProfile? profile = null;
                if (chosenPolicy is not null)
                {
                    profile = targetName is not null ? ProfileCatalog.Get(targetName) : OwnProfile();
                    construction = chosenPolicy.Construct(op, profile, new ConstructionOptions(k, parse.GetValue(seed)));
                    document["target"] = profile.Name;
                    document["policy"] = construction.Policy;
                    document["states_visited"] = construction.StatesVisited;
                    document["construct_ms"] = Math.Round(construction.ConstructMs, 3);
                    document["candidates"] = new JsonArray(construction.Candidates.Take(k).Select(c => (JsonNode)new JsonObject
                    {
                        ["schedule"] = EtirJson.Schedule(c.Schedule),
                        ["estimated_ms"] = Math.Round(c.EstimatedMs, 6),
                    }).ToArray());
                }
                IReadOnlyList<DeviceFit>? fits = null;
                if (recordsPath is not null)
                {
                    using var logs = cli.CreateLoggerFactory();
                    fits = DeviceFit.Of(RecordReader.Read(recordsPath, logs.CreateLogger("gensor")), op, profile!);
                    document["records"] = new JsonObject
                    {
                        ["file"] = recordsPath,
                        ["devices"] = new JsonArray(fits.Select(f => (JsonNode)new JsonObject
                        {
                            ["device"] = f.Device,
                            ["records"] = f.Count,
                            ["spearman"] = f.Spearman,
                            ["median_abs_log_error"] = f.MedianAbsLogError,
                        }).ToArray()),
                    };
                }
                if (json)
                {
                    cli.Output.WriteLine(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    return 0;
                }
                OperatorText.WriteExplain(cli.Output, op);
                if (construction is not null)
                {
                    cli.Output.WriteLine($"target:    {profile!.Name}");
                    cli.Output.WriteLine($"policy:    {construction.Policy}, {construction.StatesVisited} states visited in {construction.ConstructMs.ToString("F1", CultureInfo.InvariantCulture)} ms");
                    cli.Output.WriteLine("candidates (best first by the cost model):");
                    var rank = 1;
                    foreach (var candidate in construction.Candidates.Take(k))
                    {
                        cli.Output.WriteLine($"  {rank++,2}  {candidate.EstimatedMs.ToString("F4", CultureInfo.InvariantCulture),10} ms  {candidate.Schedule}");
                    }
                }
                if (fits is not null)
                {
                    WriteFits(cli.Output, recordsPath!, profile!, fits);
                }
                return 0;
            });
        });
        return command;
    }

    private static void WriteFits(TextWriter output, string path, HardwareProfile profile, IReadOnlyList<DeviceFit> fits)
    {
        if (fits.Count == 0)
        {
            output.WriteLine($"records:   {path}: no verified, timed record of this operator");
            return;
        }
        output.WriteLine($"records:   {path}: estimates under {profile.Name} against measured times, per device");
        output.WriteLine($"  {"device",-32} {"records",7} {"spearman",9} {"median |log err|",17}");
        foreach (var f in fits)
        {
            var spearman = f.Spearman is { } r ? r.ToString("F3", CultureInfo.InvariantCulture) : "-";
            output.WriteLine($"  {f.Device,-32} {f.Count,7} {spearman,9} {f.MedianAbsLogError.ToString("F3", CultureInfo.InvariantCulture),17}");
        }
    }

    private static HardwareProfile OwnProfile()
    {
        using var device = KernelDevice.Open(DeviceKind.Auto);
        return DeviceProfiles.Of(device);
    }
}
