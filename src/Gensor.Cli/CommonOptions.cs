using System.CommandLine;
using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>The options several commands share, defined once.</summary>
internal static class CommonOptions
{
    public static Argument<string?> Spec() => new("SPEC")
    {
        Description = "A JSON spec file (one operator); or use --compute and --shape.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<string?> Compute() => new("--compute") { Description = "The tensor expression, e.g. \"C[m,n] += A[m,k] * B[k,n]\"." };

    public static Option<string?> Shape() => new("--shape") { Description = "Extents of the index variables with --compute, e.g. m=128,n=128,k=128; with a SPEC file, overrides the extents it names." };

    public static Option<string?> Dtype() => new("--dtype") { Description = "Element type of every tensor, overriding the spec's dtype (its per-tensor dtypes still apply): f32, f16 or bf16. 16-bit inputs accumulate in f32." };

    public static Option<bool> AllowTf32() => new("--allow-tf32") { Description = "Let float32 matrix products run on TF32 tensor cores (inputs rounded to 10 significand bits; verified with a tolerance that says so), like PyTorch's allow_tf32." };

    /// <summary>The spec's type name after <c>--dtype</c>, checked; the spec's own when the option is absent.</summary>
    public static string? ParseDtype(string? dtype) =>
        dtype is null || Etir.ElementTypes.Parse(dtype) is not null
            ? dtype
            : throw Diagnostics.GensorException.BadInput($"--dtype: unknown type '{dtype}' (expected {Etir.ElementTypes.Accepted})");

    public static Option<string?> Name() => new("--name") { Description = "The operator's name (default with --compute: inline); with a SPEC file, overrides its name." };

    public static Option<string?> Epilogue() => new("--epilogue") { Description = "An element-wise epilogue of the output, e.g. \"relu(C[m,n])\"; with a SPEC file, overrides its epilogue." };

    public static Option<string> Format() => new("--format")
    {
        Description = "Output format: text or json.",
        DefaultValueFactory = _ => "text",
    };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for randomized construction and for the verification inputs.",
        DefaultValueFactory = _ => 0,
    };

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Log progress and diagnostics to stderr; show stack traces." };

    public static Option<string> Device() => new("--device")
    {
        Description = "Accelerator: auto (CUDA, else OpenCL, else CPU), cuda, opencl or cpu.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string?> Target() => new("--target") { Description = "Hardware profile to construct for: a built-in name (see `gensor profiles`) or a JSON file. Default: the device's own." };

    public static Option<string> Policy() => new("--policy")
    {
        Description = "Construction policy: gensor, roller, exhaustive or naive.",
        DefaultValueFactory = _ => "gensor",
    };

    /// <summary><c>--top-k</c> of <c>explain</c>, which measures nothing: how many candidates it lists.</summary>
    public static Option<int> TopK() => new("--top-k")
    {
        Description = "How many constructed candidates to list, best first by the cost model's estimate (nothing is measured).",
        DefaultValueFactory = _ => DefaultTopK,
    };

    /// <summary>Candidates measured per operator on a GPU when <c>--top-k</c> is not given.</summary>
    public const int DefaultTopK = 10;

    /// <summary>
    /// Candidates measured per operator on ILGPU's CPU accelerator when <c>--top-k</c> is not given.
    /// Each one there costs seconds of compilation and seconds per launch (every GPU thread is an
    /// OS thread), and its times say nothing about a GPU: five keep a tune well under a minute.
    /// </summary>
    public const int SimulatedTopK = 5;

    /// <summary><c>--top-k</c> of the commands that measure: no default here, because it depends on the device (<see cref="MeasuredTopK(int?, bool)"/>).</summary>
    public static Option<int?> MeasuredTopK() => new("--top-k")
    {
        Description = $"How many constructed candidates to compile, verify and measure. Default: {DefaultTopK}; {SimulatedTopK} on the CPU accelerator.",
    };

    /// <summary>The <c>--top-k</c> given, else the device's default.</summary>
    public static int MeasuredTopK(int? given, bool simulated) => given ?? (simulated ? SimulatedTopK : DefaultTopK);

    public static Option<string?> Records() => new("--records")
    {
        Description = "A records file (JSON Lines): every measured candidate is appended; what it already holds for this device is not measured again.",
    };

    public static Option<bool> Force() => new("--force") { Description = "Measure again even what --records already holds." };

    public static Option<string> Isolate() => new("--isolate")
    {
        Description = "Measure candidates in a worker process, so a kernel that faults or hangs fails alone: auto (on for GPUs, off for the CPU accelerator), on or off.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> CandidateTimeout() => new("--candidate-timeout")
    {
        Description = "With isolation: seconds one candidate may take before it counts as hung and its worker is stopped.",
        DefaultValueFactory = _ => 60,
    };

    public static Option<string?> MemoryLimit() => new("--memory-limit")
    {
        Description = "The most memory the inputs, output and reference of one operator may take, e.g. 16G (default 4G). Larger operators are refused before anything is allocated.",
    };

    public static Option<string?> Schedule(string what) => new("--schedule")
    {
        Description = $"{what}, e.g. \"block=32x32 thread=4x4 reduce=8 shared=A,B\" (vthread, shared, vector, pad and prefetch may be left out).",
    };

    public static Option<string> CompilerCheck() => new("--compiler-check")
    {
        Description = "Compile the leading candidates with NVIDIA's ptxas before ranking them (drop spilling kernels, rank the rest with their real registers): "
            + "auto (when the target is an NVIDIA GPU profile and ptxas is found), on (required) or off.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string> Namespace() => new("--namespace")
    {
        Description = "The C# namespace of the written kernel and its launcher.",
        DefaultValueFactory = _ => Gensor.Backend.Launch.LauncherName.DefaultNamespace,
    };

    /// <summary>Reads <c>--schedule</c>; null when not given.</summary>
    public static Gensor.Etir.Schedule? ParseSchedule(string? text)
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            return Gensor.Etir.Schedule.Parse(text);
        }
        catch (FormatException exception)
        {
            throw GensorException.BadInput($"--schedule: {exception.Message}");
        }
    }

    /// <summary>The records of <paramref name="path"/>; a missing or unreadable file is bad input, a torn or untrue line a warning on stderr.</summary>
    public static IReadOnlyList<Gensor.Tuning.Records.TuningRecord> ReadRecords(string path, CliContext cli)
    {
        using var logs = cli.CreateLoggerFactory();
        return Gensor.Tuning.Records.RecordReader.ReadExisting(path, logs.CreateLogger("gensor"));
    }

    public static bool ParseFormatIsJson(string format) => format switch
    {
        "text" => false,
        "json" => true,
        _ => throw GensorException.BadInput($"unknown --format '{format}' (expected text or json)"),
    };

    public static DeviceKind ParseDevice(string device) => device switch
    {
        "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "opencl" => DeviceKind.OpenCL,
        "cpu" => DeviceKind.Cpu,
        _ => throw GensorException.BadInput($"unknown --device '{device}' (expected auto, cuda, opencl or cpu)"),
    };

    public static int ParseTopK(int topK) =>
        topK >= 1 ? topK : throw GensorException.BadInput($"--top-k must be at least 1, not {topK}");
}
