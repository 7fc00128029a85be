using System.Text.Json.Nodes;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary><c>gensor emit</c>: kernels for a GPU that is not in the machine.</summary>
public sealed class EmitCommandTests
{
    private static readonly string[] Gemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=32", "--name", "gemm"];

    private static GensorCli.Result Emit(string outDir, string target, string lang, params string[] extra) =>
        GensorCli.Run(["emit", .. Gemm, "--target", target, "--lang", lang, "--out", outDir, .. extra]);

    /// <summary>Emits the 64x64x32 product for <paramref name="target"/> with a records file of one record; returns the run and launch.json.</summary>
    private static (GensorCli.Result Result, JsonNode Launch) EmitWithRecord(TempDirectory dir, string target, string schedule, string device, string profile)
    {
        var op = Gensor.Tests.Support.Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=32");
        var records = dir.File("r.jsonl", Records.Make(op, schedule, 0.5, device: device, profile: profile).ToJsonLine() + "\n");
        var outDir = Path.Combine(dir.Path, "out");
        var result = Emit(outDir, target, "cs", "--records", records);
        Assert.True(result.ExitCode == 0, result.Error);
        return (result, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!);
    }

    [Theory]
    [InlineData("h100", "sm_90")]
    [InlineData("v100", "sm_70")]
    public void Ptx_names_the_profiles_architecture(string target, string architecture)
    {
        using var dir = new TempDirectory();

        var result = Emit(dir.Path, target, "ptx");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($".target {architecture}", File.ReadAllText(Path.Combine(dir.Path, "kernel.ptx")));
    }

    [Fact]
    public void OpenCl_is_written_as_kernel_cl()
    {
        using var dir = new TempDirectory();

        var result = Emit(dir.Path, "a100", "opencl");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("kernel void", File.ReadAllText(Path.Combine(dir.Path, "kernel.cl")));
    }

    [Fact]
    public void An_emit_in_another_language_replaces_the_earlier_kernel_and_leaves_other_files_alone()
    {
        // launch.json describes one kernel: an earlier emit's kernel.cs beside a new kernel.ptx was a
        // mix (found by fuzzing). A symbolic link is removed as a link; the file it points to stays.
        using var dir = new TempDirectory();
        var notes = dir.File("notes.txt", "mine");
        var elsewhere = dir.File("elsewhere.cl", "kept");
        Assert.Equal(0, Emit(dir.Path, "h100", "cs").ExitCode);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "kernel.cl"), elsewhere);

        var result = Emit(dir.Path, "h100", "ptx");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["elsewhere.cl", "kernel.ptx", "launch.json", "notes.txt"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The user is told what went.
        Assert.Contains($"removed:   {Path.Combine(dir.Path, "kernel.cs")}, {Path.Combine(dir.Path, "kernel.cl")}", result.Output);
        Assert.Equal("ptx", JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "launch.json")))!["language"]!.GetValue<string>());
        Assert.Equal("mine", File.ReadAllText(notes));
        Assert.Equal("kept", File.ReadAllText(elsewhere));
    }

    [Fact]
    public void An_earlier_kernel_name_that_links_to_a_directory_stays_as_a_directory_would()
    {
        using var dir = new TempDirectory();
        var elsewhere = Directory.CreateDirectory(Path.Combine(dir.Path, "elsewhere")).FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(dir.Path, "out")).FullName;
        File.CreateSymbolicLink(Path.Combine(outDir, "kernel.cs"), elsewhere);

        var result = Emit(outDir, "h100", "ptx");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["kernel.cs", "kernel.ptx", "launch.json"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("removed:", result.Output);
    }

    [Theory]
    // Found by fuzzing: each left a file of one kind under another's name, with exit 0.
    [InlineData("kernel.ptx", "kernel.cs", "ptx")]
    [InlineData("kernel.cs", "report.json", "cs")]
    [InlineData("launch.json", "report.json", "ptx")]
    public void A_kernel_folder_name_that_links_to_another_is_bad_input_before_any_work(string link, string target, string lang)
    {
        using var dir = new TempDirectory();
        var earlier = dir.File(target, "earlier");
        File.CreateSymbolicLink(Path.Combine(dir.Path, link), earlier);

        var result = Emit(dir.Path, "h100", lang, "--compiler-check", "off");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{link} is a link to {target}", result.Error);
        Assert.Equal(new[] { link, target }.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("earlier", File.ReadAllText(earlier));
    }

    [Fact]
    public void A_kernel_name_that_links_into_a_missing_folder_is_bad_input_before_any_work()
    {
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(Path.Combine(dir.Path, "kernel.ptx"), Path.Combine(dir.Path, "nowhere", "k.ptx"));

        var result = Emit(dir.Path, "h100", "ptx");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Error);
        Assert.Equal(["kernel.ptx"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Cs_is_the_ilgpu_source()
    {
        using var dir = new TempDirectory();

        var result = Emit(dir.Path, "h100", "cs");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("public static void Kernel(", File.ReadAllText(Path.Combine(dir.Path, "kernel.cs")));
    }

    [Fact]
    public void Launch_json_gives_what_a_caller_needs_to_launch_the_kernel()
    {
        using var dir = new TempDirectory();

        Assert.Equal(0, Emit(dir.Path, "h100", "ptx").ExitCode);

        var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "launch.json")))!;
        Assert.True((int)launch["grid"]! > 0);
        Assert.True((int)launch["group"]! > 0);
        Assert.NotNull(launch["shared_memory_bytes"]);
        Assert.Equal(["C", "A", "B"], launch["arguments"]!.AsArray().Select(a => (string?)a!["tensor"]));
        Assert.Equal([64, 64], launch["arguments"]![0]!["shape"]!.AsArray().Select(d => (int)d!));
        Assert.StartsWith("block=", (string?)launch["schedule"]!["text"]);
        Assert.Equal("sm_90", (string?)launch["target"]!["architecture"]);
        Assert.Equal("model", (string?)launch["schedule_origin"]!["source"]);
    }

    [Fact]
    public void With_records_the_best_recorded_schedule_is_emitted()
    {
        using var dir = new TempDirectory();
        var op = Gensor.Tests.Support.Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=32");
        var records = dir.File("r.jsonl", string.Concat(
            Records.Make(op, "block=32x32 thread=4x4 reduce=8 shared=A,B", 1.0, device: "cuda: NVIDIA H100", profile: "h100").ToJsonLine() + "\n",
            Records.Make(op, "block=16x16 thread=2x2 reduce=8", 0.5, device: "cuda: Tesla V100", profile: "v100").ToJsonLine() + "\n"));
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "cs", "--records", records);

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!;
        // The record made for this profile wins over a faster one made for another.
        Assert.Equal("block=32x32 thread=4x4 vthread=1x1 reduce=8 shared=A,B vector=1", (string?)launch["schedule"]!["text"]);
        Assert.Equal("records", (string?)launch["schedule_origin"]!["source"]);
    }

    [Fact]
    public void A_schedule_recorded_by_another_build_is_emitted_with_a_warning_that_its_kernel_was_not_measured()
    {
        using var dir = new TempDirectory();
        var op = Gensor.Tests.Support.Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=32");
        var schedule = "block=32x32 thread=4x4 reduce=8 shared=A,B";
        var measured = Records.Make(op, schedule, 1.0, device: "cuda: NVIDIA H100", profile: "h100");
        var ours = measured with { Measurement = measured.Measurement with { CheckedElements = 4000 } };
        var records = dir.File("r.jsonl", string.Concat(
            ours.ToJsonLine() + "\n",
            (Records.Make(op, "block=16x16 thread=2x2 reduce=8", 0.5, device: "cuda: NVIDIA H100", profile: "h100") with { Version = "0.0.9+0123abc" }).ToJsonLine() + "\n"));
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "cs", "--records", records);

        Assert.True(result.ExitCode == 0, result.Error);
        var origin = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!["schedule_origin"]!;
        // The faster schedule is still the one emitted, said to be another build's measurement.
        Assert.Equal(0.5, (double)origin["measured_ms"]!);
        Assert.Equal("0.0.9+0123abc", (string?)origin["version"]);
        Assert.False((bool)origin["this_build"]!);
        Assert.Null(origin["checked_elements"]);
        Assert.Contains("measured by another build of gensor (0.0.9+0123abc)", result.Error);
        Assert.Contains("by build 0.0.9+0123abc, not this build's kernel", result.Output);

        // This build's own record: no warning.
        var own = Emit(Path.Combine(dir.Path, "own"), "h100", "cs", "--records", dir.File("own.jsonl", ours.ToJsonLine() + "\n"));
        Assert.True(own.ExitCode == 0, own.Error);
        var ownOrigin = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "own", "launch.json")))!["schedule_origin"]!;
        Assert.True((bool)ownOrigin["this_build"]!);
        Assert.Equal(4000, (int)ownOrigin["checked_elements"]!);
        Assert.DoesNotContain("another build", own.Error);
    }

    [Fact]
    public void A_newline_in_the_out_path_is_printed_escaped()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "line\nbreak");

        var result = Emit(outDir, "h100", "cs");

        Assert.True(result.ExitCode == 0, result.Error);
        var wrote = Assert.Single(result.Output.Split('\n'), line => line.StartsWith("wrote:", StringComparison.Ordinal));
        Assert.Contains("line\\nbreak", wrote);
    }

    [Fact]
    public void OpenCl_of_an_f16_operator_is_bad_input_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "opencl", "--dtype", "f16");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --lang opencl: ILGPU's OpenCL back end does not support f16", result.Error.Trim());
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }

    [Fact]
    public void OpenCl_with_the_compiler_check_required_is_bad_input()
    {
        // ptxas compiles PTX: an OpenCL kernel's check was silently skipped (noted by the fuzzing helper).
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "opencl", "--compiler-check", "on");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --compiler-check on: --lang opencl writes OpenCL C, which ptxas does not compile", result.Error.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void OpenCl_of_a_16_bit_product_constructs_without_tensor_cores_and_refuses_an_mma_schedule()
    {
        // The model's mma choice, or one given, stopped ILGPU's OpenCL compiler with an internal error (found by fuzzing).
        using var dir = new TempDirectory();

        var chosen = Emit(Path.Combine(dir.Path, "chosen"), "h100", "opencl", "--dtype", "bf16");
        var given = Emit(Path.Combine(dir.Path, "given"), "h100", "opencl", "--dtype", "bf16", "--schedule", "block=64x32 thread=4x4 reduce=16 mma=m16n8k16");

        Assert.True(chosen.ExitCode == 0, chosen.Error);
        Assert.DoesNotContain("mma=", chosen.Output);
        Assert.Equal(2, given.ExitCode);
        Assert.StartsWith("error: --lang opencl: ILGPU's OpenCL back end writes no tensor-core (mma) kernels", given.Error.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "given")));
    }

    [Fact]
    public void OpenCl_constructs_without_asynchronous_copies_and_refuses_a_schedule_with_them()
    {
        // ILGPU's OpenCL kernels copy plainly: with async=1 the model credited a cp.async they do not make, and launch.json
        // listed address arguments at indices where the OpenCL kernel has its view structs (found by fuzzing the launchers).
        using var dir = new TempDirectory();
        var chosenDir = Path.Combine(dir.Path, "chosen");

        var chosen = GensorCli.Run("emit", Operators.SamplePath("conv2d"), "--target", "h100", "--lang", "opencl", "--out", chosenDir);
        var cuda = GensorCli.Run("emit", Operators.SamplePath("conv2d"), "--target", "h100", "--lang", "ptx", "--out", Path.Combine(dir.Path, "ptx"));
        var given = Emit(Path.Combine(dir.Path, "given"), "h100", "opencl", "--schedule", "block=32x32 thread=4x4 reduce=8 shared=A,B buffers=2 async=1");

        Assert.True(chosen.ExitCode == 0, chosen.Error);
        Assert.Contains("async=1", cuda.Output);
        Assert.DoesNotContain("async=1", chosen.Output);
        Assert.Empty(JsonNode.Parse(File.ReadAllText(Path.Combine(chosenDir, "launch.json")))!["addresses"]!.AsArray());
        Assert.Equal(2, given.ExitCode);
        Assert.Contains("which the h100 profile has off (async_copies: ILGPU's OpenCL back end writes none)", given.Error);
    }

    [Fact]
    public void A_recorded_tf32_schedule_is_emitted_only_with_allow_tf32()
    {
        using var dir = new TempDirectory();
        var op = Gensor.Tests.Support.Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=32");
        const string tf32 = "block=32x32 thread=16x8 vthread=1x1 reduce=8 shared=A,B vector=1 mma=m16n8k8tf32";
        var records = dir.File("r.jsonl", string.Concat(
            Records.Make(op, tf32, 0.1, device: "cuda: NVIDIA H100", profile: "h100").ToJsonLine() + "\n",
            Records.Make(op, "block=32x32 thread=4x4 reduce=8 shared=A,B", 1.0, device: "cuda: NVIDIA H100", profile: "h100").ToJsonLine() + "\n"));

        var plain = Emit(Path.Combine(dir.Path, "plain"), "h100", "cs", "--records", records);
        var allowed = Emit(Path.Combine(dir.Path, "allowed"), "h100", "cs", "--records", records, "--allow-tf32");

        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Contains("passing over 1 recorded TF32", plain.Error);
        Assert.Equal("block=32x32 thread=4x4 vthread=1x1 reduce=8 shared=A,B vector=1", (string?)Launch(dir, "plain")["schedule"]!["text"]);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Equal(tf32, (string?)Launch(dir, "allowed")["schedule"]!["text"]);
    }

    private static JsonNode Launch(TempDirectory dir, string outDir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, outDir, "launch.json")))!;

    [Fact]
    public void A_recorded_schedule_beyond_the_targets_limits_gives_way_to_the_models_choice()
    {
        using var dir = new TempDirectory();

        // 64x64 threads per block: more than any GPU allows.
        var (result, launch) = EmitWithRecord(dir, "h100", "block=64x64 thread=1x1 reduce=8", "cuda: NVIDIA H100", "h100");

        Assert.Contains("does not fit h100", result.Error);
        Assert.Equal("model", (string?)launch["schedule_origin"]!["source"]);
    }

    [Fact]
    public void Records_measured_on_the_cpu_simulator_are_not_used_for_a_gpu_target_and_it_says_why()
    {
        using var dir = new TempDirectory();

        var (result, launch) = EmitWithRecord(dir, "h100", "block=16x16 thread=2x2 reduce=8", "cpu: CPUAccelerator", "h100");

        Assert.Contains("made on cpu: CPUAccelerator, not on a GPU like h100", result.Error);
        Assert.Equal("model", (string?)launch["schedule_origin"]!["source"]);
    }

    [Fact]
    public void Records_measured_on_the_cpu_simulator_are_used_for_the_cpu_target()
    {
        using var dir = new TempDirectory();

        var (_, launch) = EmitWithRecord(dir, "cpu", "block=16x16 thread=2x2 reduce=8", "cpu: CPUAccelerator", "cpu");

        Assert.Equal("records", (string?)launch["schedule_origin"]!["source"]);
        Assert.Equal("cpu: CPUAccelerator", (string?)launch["schedule_origin"]!["device"]);
    }

    [Fact]
    public void A_given_schedule_is_emitted_as_given()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "cs", "--schedule", "block=32x16 thread=4x2 reduce=8 shared=A");

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!;
        Assert.Equal("block=32x16 thread=4x2 vthread=1x1 reduce=8 shared=A vector=1", (string?)launch["schedule"]!["text"]);
        Assert.Equal("given", (string?)launch["schedule_origin"]!["source"]);
        Assert.Equal(8 * 8, (int)launch["group"]!);
    }

    [Theory]
    [InlineData("block=64x64 thread=1x1 reduce=8")]
    [InlineData("block=32x32 thread=4x4")]
    public void A_given_schedule_that_does_not_fit_is_bad_input(string schedule)
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "cs", "--schedule", schedule);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --schedule", result.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_split_whose_grid_exceeds_an_int_is_bad_input()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        // 2^31 - 1 outputs in tiles of 64 (33,554,432 tiles), each reduction split among 128 blocks: 2^32 blocks.
        var result = GensorCli.Run("emit", "--compute", "y[i] += z[i] * x[j]", "--shape", "i=2147483647,j=1024", "--target", "h100",
            "--compiler-check", "off", "--schedule", "block=64 thread=1 reduce=8 split=128", "--out", outDir);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --schedule", result.Error);
        Assert.Contains("33554432 tiles of the output times 128 blocks each exceed a grid's 2147483647 blocks", result.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("ptx", "kernel.ptx", ".entry Kernel_Kernel(")]
    [InlineData("opencl", "kernel.cl", "kernel void Kernel_Kernel(")]
    public void Launch_json_names_the_entry_point_of_ptx_and_opencl(string lang, string file, string declaration)
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        Assert.Equal(0, Emit(outDir, "h100", lang).ExitCode);

        var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!;
        Assert.Equal("Kernel_Kernel", (string?)launch["kernel"]!["entry"]);
        Assert.Contains(declaration, File.ReadAllText(Path.Combine(outDir, file)));
        Assert.Null(launch["launcher"]);
    }

    [Fact]
    public void Emit_help_says_it_measures_nothing()
    {
        var result = GensorCli.Run("emit", "--help");

        Assert.Contains("nothing is measured", result.Output);
    }

    [Fact]
    public void A_missing_records_file_is_bad_input()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, "h100", "cs", "--records", Path.Combine(dir.Path, "none.jsonl"));

        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("h100", "fortran")]
    [InlineData("nosuchgpu", "ptx")]
    [InlineData("cpu", "ptx")]
    [InlineData("cpu", "sass")]
    public void Bad_input_exits_2_with_one_error_line_and_writes_nothing(string target, string lang)
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = Emit(outDir, target, lang);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith("error:", result.Error);
        Assert.False(Directory.Exists(outDir));
    }
}
