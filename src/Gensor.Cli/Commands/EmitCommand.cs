using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.Json;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Inspection;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tuning;
using Gensor.Tuning.Emission;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using Gensor.Tuning.Resources;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor emit SPEC --target PROFILE --lang cs|ptx|sass|opencl --out DIR</c>:
/// construct for a GPU that need not be present and write its kernel with
/// the launch configuration a caller needs (launch.json). It constructs under
/// the cost model (or takes a recorded or given schedule) and measures nothing.
/// For a CUDA profile, launch.json also holds the kernel's resources as NVIDIA's tools read them.
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
            Description = "What to write: cs (C# ILGPU source with a launcher, kernel.cs), ptx (kernel.ptx for the profile's sm_XX), sass (kernel.cubin and kernel.sass, assembled by NVIDIA's ptxas) or opencl (OpenCL C, kernel.cl).",
            DefaultValueFactory = _ => "cs",
        };
        var output = new Option<string>("--out") { Description = "Directory to write the kernel and launch.json to; an earlier emit's kernel files in another language, and an earlier tune's report.json, are removed from it.", Required = true };
        var policy = CommonOptions.Policy();
        var seed = CommonOptions.Seed();
        var records = new Option<string?>("--records") { Description = "A records file: emit the best verified schedule measured on the same kind of device (GPU for a GPU profile), when it holds one that fits." };
        var schedule = CommonOptions.Schedule("Emit this schedule instead of constructing one");
        var @namespace = CommonOptions.Namespace();
        var compilerCheck = CommonOptions.CompilerCheck();
        var verbose = CommonOptions.Verbose();
        var allowTf32 = CommonOptions.AllowTf32();
        var command = new Command("emit",
            "Construct a kernel for a profile under the cost model and write its C# (with a launcher), PTX, SASS or OpenCL C, with launch.json. " +
            "No GPU is needed and nothing is measured: the schedule is the model's choice, a recorded one or --schedule.");
        spec.AddTo(command);
        foreach (var option in new Option[] { target, language, output, policy, seed, records, schedule, @namespace, compilerCheck, verbose, allowTf32 })
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
                if (!KernelFolder.Languages.Contains(lang))
                {
                    throw GensorException.BadInput($"unknown --lang '{lang}' (expected cs, ptx, sass or opencl)");
                }
                var profile = ProfileCatalog.Get(parse.GetValue(target)!);
                if (lang == "opencl")
                {
                    // ILGPU's OpenCL back end writes no warp shuffles and no tensor-core (mma) code: construct
                    // without them (an mma schedule stopped its compiler with an internal error; found by fuzzing).
                    profile = DeviceProfiles.WithoutCudaFeatures(profile);
                }
                if (lang is "ptx" or "sass")
                {
                    OfflineKernelCompiler.ParseArchitecture(profile.Architecture);
                }
                NvidiaTools? tools = null;
                if (lang == "sass" && !NvidiaTools.TryFind(out tools, out var missing))
                {
                    // Bad input, like --compiler-check on without ptxas: what was asked for needs tools this machine lacks.
                    throw GensorException.BadInput($"--lang sass: {missing}");
                }
                var chosenPolicy = PolicyCatalog.Get(parse.GetValue(policy)!, parse.GetValue(allowTf32));
                var checkMode = CompilerChecks.Validate(parse.GetValue(compilerCheck)!);
                if (lang == "opencl" && checkMode == "on")
                {
                    // The check reads what ptxas makes of ILGPU's PTX; an OpenCL kernel is another program.
                    throw GensorException.BadInput("--compiler-check on: --lang opencl writes OpenCL C, which ptxas does not compile; use auto or off");
                }
                var fixedSchedule = CommonOptions.ParseSchedule(parse.GetValue(schedule));
                if (lang == "opencl" && fixedSchedule is { Mma: not MmaShape.None })
                {
                    throw GensorException.BadInput("--lang opencl: ILGPU's OpenCL back end writes no tensor-core (mma) kernels; use --lang cs or ptx, or a schedule without mma");
                }
                var recordsPath = parse.GetValue(records);
                if (fixedSchedule is not null && recordsPath is not null)
                {
                    throw GensorException.BadInput("give --schedule or --records, not both");
                }
                if (recordsPath is not null && !File.Exists(recordsPath))
                {
                    throw GensorException.BadInput($"{Printable.Text(recordsPath)}: no such file");
                }
                var outDir = parse.GetValue(output)!;
                // Checked before any work, so that a path that cannot take the files fails at once.
                AtomicFile.CheckDirectory(outDir, [.. KernelFolder.EmitKernel(lang), KernelFolder.Launch], "--out");
                KernelFolder.CheckLinks(outDir, "--out");
                var op = spec.Read(parse, cli);
                if (lang == "opencl" && op.Inputs.Append(op.Output).Any(t => t.Type == ElementType.F16))
                {
                    // ILGPU's OpenCL back end stops with an internal compiler error on Half.
                    throw GensorException.BadInput("--lang opencl: ILGPU's OpenCL back end does not support f16 tensors; use --lang cs or ptx, or bf16");
                }
                var launcher = LauncherName.For(op.Name, parse.GetValue(@namespace)!);
                using var logs = cli.CreateLoggerFactory();
                var logger = logs.CreateLogger("gensor");
                var request = new TuneRequest(op, chosenPolicy, profile, profile, 1, parse.GetValue(seed), fixedSchedule,
                    Compiler: lang == "opencl" ? null : CompilerChecks.For(checkMode, profile, logger),
                    AllowTf32: parse.GetValue(allowTf32));
                var recordSet = recordsPath is null ? null : new RecordSet(RecordReader.ReadExisting(recordsPath, logger));
                var (chosen, origin) = Emitter.Choose(request, recordSet, logger);
                var source = KernelService.Lower(op, chosen);
                var (files, reading, entry) = Produce(source, lang, launcher, profile, tools, logger);
                var launch = LaunchJson.Of(op, profile, lang, source, lang == "cs" ? launcher : null, origin, entry);
                ResourcesJson.AddTo(launch, reading, withDriver: false);

                var launchPath = Path.Combine(outDir, KernelFolder.Launch);
                var contents = files.Select(file => (Path: Path.Combine(outDir, file.Name), Content: file.Content switch
                {
                    byte[] bytes => bytes,
                    var text => new System.Text.UTF8Encoding(false).GetBytes((string)text),
                })).Append((Path: launchPath, Content: new System.Text.UTF8Encoding(false).GetBytes(launch.ToJsonString(_indented) + "\n"))).ToArray();
                // All the files or none: a kernel without its launch configuration is of no use. An earlier
                // emit's kernel in another language, or tune's report, goes with them (KernelFolder).
                var removed = AtomicFile.WriteAllInFolder(outDir, contents, KernelFolder.Superseded(outDir, [.. KernelFolder.EmitKernel(lang), KernelFolder.Launch]));
                var written = contents.Select(file => file.Path).ToList();
                cli.Output.WriteLine($"schedule:  {chosen}  ({Describe(origin)})");
                cli.Output.WriteLine($"launch:    grid {source.Launch.GridSize}, group {source.Launch.GroupSize}, shared {source.Launch.SharedMemoryBytes} bytes");
                if (lang == "cs")
                {
                    cli.Output.WriteLine($"launcher:  {launcher.Namespace}.{launcher.Class}.{launcher.Method}(accelerator, {string.Join(", ", source.Launch.Tensors.Select(t => t.Parameter))})");
                }
                if (reading.Resources is { } read)
                {
                    cli.Output.WriteLine($"resources: {ResourcesText.Describe(read)}");
                }
                cli.Output.WriteLine($"wrote:     {string.Join(", ", written.Select(Printable.Text))}");
                if (removed.Count > 0)
                {
                    cli.Output.WriteLine($"removed:   {string.Join(", ", removed.Select(Printable.Text))}");
                }
                return 0;
            });
        });
        return command;
    }

    private static string Describe(ScheduleOrigin origin) => origin.Source switch
    {
        "model" => $"the {origin.Policy} policy's choice under the cost model" + (origin.EstimatedMs is { } e ? $", estimated {NumberText.Estimate(e)} ms" : ""),
        "records" => $"measured {NumberText.Ms(origin.Record!.MeasuredMs!.Value)} ms on {origin.Record.Device}"
            + (origin.Record.ByThisBuild ? "" : $" by build {origin.Record.Version}, not this build's kernel"),
        _ => "given with --schedule",
    };

    /// <summary>The entry point's name as the PTX (<c>.entry NAME(</c>) or OpenCL C (<c>kernel void NAME(</c>) declares it; null for C#.</summary>
    private static string? EntryPoint(string text, string lang)
    {
        var pattern = lang switch
        {
            "ptx" => @"\.entry\s+([A-Za-z_$][\w$]*)\s*\(",
            "opencl" => @"kernel\s+void\s+([A-Za-z_]\w*)\s*\(",
            _ => null,
        };
        return pattern is null ? null : System.Text.RegularExpressions.Regex.Match(text, pattern) is { Success: true } match ? match.Groups[1].Value : null;
    }

    /// <summary>The files to write (text or bytes), what NVIDIA's tools read of the kernel, and the entry point's name.</summary>
    private static (List<(string Name, object Content)> Files, ResourceReading Reading, string? Entry) Produce(
        KernelSource source, string lang, LauncherName launcher, HardwareProfile profile, NvidiaTools? tools, ILogger logger)
    {
        if (lang == "opencl")
        {
            var openCl = OfflineKernelCompiler.OpenCl(CompileMethod(source));
            return ([("kernel.cl", openCl)],
                new ResourceReading(null, "resources are read from PTX with NVIDIA's tools; --lang opencl writes OpenCL C"),
                EntryPoint(openCl, lang));
        }
        if (!KernelInspector.IsCuda(profile))
        {
            return ([("kernel.cs", LauncherWriter.KernelFile(source, launcher))], ResourceReader.Read(source, profile, logger), null);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ptx = OfflineKernelCompiler.Ptx(CompileMethod(source), profile.Architecture);
        var ptxMs = clock.Elapsed.TotalMilliseconds;
        if (lang == "sass")
        {
            // A kernel ptxas refuses is an internal error here, since the user asked for its SASS.
            var inspection = KernelInspector.Inspect(tools!, ptx, profile, source.Launch, ptxMs);
            return ([("kernel.cubin", inspection.Cubin), ("kernel.sass", inspection.Sass)],
                new ResourceReading(inspection.Resources, null), EntryPoint(ptx, "ptx"));
        }
        var reading = ResourceReader.Read(source, profile, logger, ptx, ptxMs);
        return lang == "cs"
            ? ([("kernel.cs", LauncherWriter.KernelFile(source, launcher))], reading, null)
            : ([("kernel.ptx", ptx)], reading, EntryPoint(ptx, lang));
    }

    private static System.Reflection.MethodInfo CompileMethod(KernelSource source)
    {
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        return compiled.Method ?? throw new InvalidOperationException($"generated kernel did not compile: {compiled.Error}");
    }
}
