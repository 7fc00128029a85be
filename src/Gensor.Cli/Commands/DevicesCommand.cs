using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Tuning.Reports;

namespace Gensor.Cli.Commands;

/// <summary><c>gensor devices</c>: the accelerators ILGPU sees and what they report.</summary>
internal static class DevicesCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("devices", "List the accelerators ILGPU sees.");
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var devices = KernelDevice.List();
                if (json)
                {
                    var array = new JsonArray(devices.Select(d => (JsonNode)new JsonObject
                    {
                        ["kind"] = d.Kind,
                        ["name"] = d.Name,
                        ["multiprocessors"] = d.Multiprocessors,
                        ["warp_size"] = d.WarpSize,
                        ["max_threads_per_group"] = d.MaxThreadsPerGroup,
                        ["max_shared_memory_per_group"] = d.MaxSharedMemoryPerGroup,
                        ["memory_bytes"] = d.MemoryBytes,
                        ["architecture"] = d.Architecture,
                        ["simulated"] = d.Kind == "cpu",
                    }).ToArray());
                    cli.Output.WriteLine(array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    return 0;
                }
                foreach (var d in devices)
                {
                    cli.Output.WriteLine($"{d.Kind}: {d.Name}{(d.Architecture is null ? "" : " (" + d.Architecture + ")")}");
                    var cpu = d.Kind == "cpu";
                    // The CPU accelerator's "shared memory" is ordinary host memory with no per-group limit (it reports int.MaxValue).
                    var shared = cpu && d.MaxSharedMemoryPerGroup == int.MaxValue ? "unlimited" : NumberText.Bytes(d.MaxSharedMemoryPerGroup);
                    cli.Output.WriteLine($"    multiprocessors {d.Multiprocessors}, warp size {d.WarpSize}, threads per group {d.MaxThreadsPerGroup}, " +
                        $"shared memory per group {shared}, memory {NumberText.Bytes(d.MemoryBytes)}{(cpu ? " (the host's; simulates GPU threads)" : "")}");
                }
                return 0;
            });
        });
        return command;
    }
}
