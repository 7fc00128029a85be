using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Tuning;
using Gensor.Tuning.Reports;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor explain SPEC</c>: the parsed ETIR, and with <c>--policy</c> or
/// <c>--target</c> the candidates a policy constructs (no device is used to
/// run anything).
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
        var command = new Command("explain", "Print the parsed operator (ETIR) and, with --policy/--target, the constructed candidates.");
        spec.AddTo(command);
        foreach (var option in new Option[] { format, verbose, target, policy, seed, topK })
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
                var chosenPolicy = policyName is not null || targetName is not null ? PolicyCatalog.Get(policyName ?? "gensor") : null;
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
                        ["estimated_ms"] = double.IsFinite(c.EstimatedMs) ? Math.Round(c.EstimatedMs, 6) : null,
                        ["legal"] = Legality.Check(op, c.Schedule, profile) is null,
                        ["illegal_because"] = Legality.Check(op, c.Schedule, profile),
                    }).ToArray());
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
                        // A policy may hand back a schedule the target cannot run (naive and roller do not all check); say so.
                        var illegal = Legality.Check(op, candidate.Schedule, profile) is { } reason ? $"  (illegal on {profile.Name}: {reason})" : "";
                        cli.Output.WriteLine($"  {rank++,2}  {candidate.EstimatedMs.ToString("F4", CultureInfo.InvariantCulture),10} ms  {candidate.Schedule}{illegal}");
                    }
                }
                return 0;
            });
        });
        return command;
    }

    private static HardwareProfile OwnProfile()
    {
        using var device = KernelDevice.Open(DeviceKind.Auto);
        return DeviceProfiles.Of(device);
    }
}
