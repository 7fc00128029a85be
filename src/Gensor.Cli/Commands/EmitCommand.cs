using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Tuning;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor emit SPEC --target PROFILE --lang cs|ptx|opencl --out DIR</c>:
/// construct for a GPU that need not be present and write its kernel with
/// the launch configuration a caller needs (launch.json).
/// </summary>
internal static class EmitCommand
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    public static Command Create(Func<bool, CliContext> context)
    {
        var spec = new SpecInput();
        var target = new Option<string>("--target") { Description = "The hardware profile to emit for: a built-in name (see `gensor profiles`) or a JSON file.", Required = true };
        var language = new Option<string>("--lang")
        {
            Description = "What to write: cs (C# ILGPU source, kernel.cs), ptx (kernel.ptx for the profile's sm_XX) or opencl (OpenCL C, kernel.cl).",
            DefaultValueFactory = _ => "cs",
        };
        var output = new Option<string>("--out") { Description = "Directory to write the kernel and launch.json to.", Required = true };
        var policy = CommonOptions.Policy();
        var seed = CommonOptions.Seed();
        var records = new Option<string?>("--records") { Description = "A records file: emit the best measured verified schedule for this operator, when it holds one." };
        var verbose = CommonOptions.Verbose();
        var command = new Command("emit", "Construct a kernel for a profile (no GPU needed) and write its source, PTX or OpenCL C with launch.json.");
        spec.AddTo(command);
        foreach (var option in new Option[] { target, language, output, policy, seed, records, verbose })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                // Everything is checked and produced before the first file is written, so bad input writes nothing.
                var lang = parse.GetValue(language)!;
                var extension = lang switch
                {
                    "cs" => "cs",
                    "ptx" => "ptx",
                    "opencl" => "cl",
                    _ => throw GensorException.BadInput($"unknown --lang '{lang}' (expected cs, ptx or opencl)"),
                };
                var profile = ProfileCatalog.Get(parse.GetValue(target)!);
                if (lang == "opencl")
                {
                    // ILGPU's OpenCL back end writes no warp shuffles: construct without them.
                    profile = profile with { WarpShuffles = false };
                }
                if (lang == "ptx")
                {
                    OfflineKernelCompiler.ParseArchitecture(profile.Architecture);
                }
                var chosenPolicy = PolicyCatalog.Get(parse.GetValue(policy)!);
                var outDir = parse.GetValue(output)!;
                var kernelName = "kernel." + extension;
                AtomicFile.CheckDirectory(outDir, [kernelName, "launch.json"], "--out");
                var recordsPath = parse.GetValue(records);
                if (recordsPath is not null)
                {
                    RecordFile.CheckPath(recordsPath, "--records");
                }
                var op = spec.Read(parse);
                using var logs = cli.CreateLoggerFactory();
                var logger = logs.CreateLogger("gensor");
                var form = CanonicalForm.Of(op);
                var (schedule, origin) = Choose(op, form, profile, chosenPolicy, parse.GetValue(seed), recordsPath, logger);
                var source = CSharpKernelGenerator.Generate(new EtirState(op, schedule), Tuner.ClassName(op, 0));
                var text = lang == "cs" ? source.Text : Compile(source, lang, profile);
                var launch = Launch(op, form, profile, lang, source, origin);

                Directory.CreateDirectory(outDir);
                var kernelPath = Path.Combine(outDir, kernelName);
                var launchPath = Path.Combine(outDir, "launch.json");
                // Both files or neither: a kernel without its launch configuration is of no use.
                AtomicFile.WriteAll([(kernelPath, text), (launchPath, launch.ToJsonString(_indented) + "\n")]);
                cli.Output.WriteLine($"schedule:  {schedule}  ({origin["source"]})");
                cli.Output.WriteLine($"launch:    grid {source.Launch.GridSize}, group {source.Launch.GroupSize}, shared {source.Launch.SharedMemoryBytes} bytes");
                cli.Output.WriteLine($"wrote:     {kernelPath}, {launchPath}");
                return 0;
            });
        });
        return command;
    }

    /// <summary>The schedule to emit: the best verified record when one is usable on the target, else the policy's first choice.</summary>
    private static (Schedule Schedule, JsonObject Origin) Choose(
        Operator op, CanonicalForm form, HardwareProfile profile, ISchedulePolicy policy, int seed, string? recordsPath, ILogger logger)
    {
        if (recordsPath is not null)
        {
            var best = new RecordSet(RecordReader.ReadExisting(recordsPath, logger)).BestFor(form.Hash, profile.Name);
            if (best is not null)
            {
                var schedule = form.FromCanonical(best.Schedule);
                var reason = Legality.Check(op, schedule, profile);
                if (reason is null)
                {
                    return (schedule, new JsonObject
                    {
                        ["source"] = "records",
                        ["policy"] = best.Policy,
                        ["measured_ms"] = best.MeasuredMs,
                        ["device"] = best.Device,
                        ["profile"] = best.Profile,
                    });
                }
                // A schedule measured on another device may exceed this profile's limits; the model's choice is then the safe one.
                logger.LogWarning("{Op}: the best recorded schedule ({Schedule}) does not fit {Profile}: {Reason}; using the {Policy} policy's choice",
                    op.Name, schedule, profile.Name, reason, policy.Name);
            }
            else
            {
                logger.LogWarning("{Op}: no verified record in {Path}; using the {Policy} policy's choice", op.Name, recordsPath, policy.Name);
            }
        }
        var construction = policy.Construct(op, profile, new ConstructionOptions(1, seed));
        var first = construction.Candidates.FirstOrDefault()
            ?? throw new GensorException(new GensorError(ErrorKind.NoResult, $"the {policy.Name} policy constructed no schedule of {op.Name} for {profile.Name}"));
        return (first.Schedule, new JsonObject
        {
            ["source"] = "model",
            ["policy"] = policy.Name,
            ["estimated_ms"] = double.IsNaN(first.EstimatedMs) ? null : first.EstimatedMs,
        });
    }

    private static string Compile(KernelSource source, string lang, HardwareProfile profile)
    {
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        var method = compiled.Method ?? throw new InvalidOperationException($"generated kernel did not compile: {compiled.Error}");
        return lang == "ptx" ? OfflineKernelCompiler.Ptx(method, profile.Architecture) : OfflineKernelCompiler.OpenCl(method);
    }

    private static JsonObject Launch(Operator op, CanonicalForm form, HardwareProfile profile, string lang, KernelSource source, JsonObject origin) => new()
    {
        ["operator"] = op.Name,
        ["op_hash"] = form.Hash,
        ["target"] = new JsonObject { ["name"] = profile.Name, ["architecture"] = profile.Architecture },
        ["language"] = lang,
        ["kernel"] = new JsonObject { ["class"] = source.ClassName, ["method"] = KernelSource.MethodName },
        ["grid"] = source.Launch.GridSize,
        ["group"] = source.Launch.GroupSize,
        ["shared_memory_bytes"] = source.Launch.SharedMemoryBytes,
        ["arguments"] = new JsonArray(source.Launch.Arguments.Select(a => (JsonNode)new JsonObject
        {
            ["tensor"] = a.Tensor,
            ["parameter"] = a.Parameter,
            ["shape"] = new JsonArray(a.Shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["output"] = a.IsOutput,
        }).ToArray()),
        ["schedule"] = EtirJson.Schedule(source.State.Schedule),
        ["schedule_origin"] = origin,
    };
}
