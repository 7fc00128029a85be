using System.CommandLine;
using System.Text.Json.Nodes;
using Gensor.Hardware;

namespace Gensor.Cli.Commands;

/// <summary><c>gensor profiles</c>: the built-in hardware profiles construction can target.</summary>
internal static class ProfilesCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("profiles", "List the built-in hardware profiles (use one with --target NAME, or pass a JSON file).");
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                if (CommonOptions.ParseFormatIsJson(parse.GetValue(format)!))
                {
                    var array = new JsonArray(ProfileCatalog.All.Select(p => JsonNode.Parse(ProfileCatalog.ToJson(p))).ToArray());
                    cli.Output.WriteLine(array.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                    return 0;
                }
                cli.Output.WriteLine($"{"name",-9} {"arch",-7} {"SMs",4} {"FP32 GFLOP/s",13} {"DRAM GB/s",10} {"L2 MB",6} {"smem/block KB",14} {"threads/SM",11}");
                foreach (var p in ProfileCatalog.All)
                {
                    cli.Output.WriteLine($"{p.Name,-9} {p.Architecture,-7} {p.Multiprocessors,4} {p.PeakGflops,13:F0} {p.DramBandwidthGBs,10:F0} {p.L2Bytes / (1 << 20),6} {p.SharedMemoryPerBlock / 1024,14} {p.MaxThreadsPerMultiprocessor,11}{(p.Simulated ? "  (ILGPU CPU accelerator)" : "")}");
                }
                return 0;
            });
        });
        return command;
    }
}
