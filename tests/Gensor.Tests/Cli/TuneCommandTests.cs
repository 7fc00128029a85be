using System.Text.Json.Nodes;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary><c>gensor tune</c> end to end on the CPU accelerator, at small extents.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class TuneCommandTests
{
    private static readonly string[] SmallGemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--device", "cpu"];

    [Fact]
    public void Json_report_has_the_best_verified_kernel_and_marks_simulated_times()
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--top-k", "3", "--format", "json"]);

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal("inline", (string?)report["name"]);
        Assert.True((bool)report["simulated"]!);
        Assert.Equal("gensor", (string?)report["policy"]);
        Assert.StartsWith("cpu", (string?)report["device"]);
        Assert.True((bool)report["best"]!["verified"]!);
        Assert.True((double)report["best"]!["measured_ms"]! > 0);
        Assert.NotNull(report["best"]!["schedule"]!["block"]);
        Assert.InRange(report["candidates"]!.AsArray().Count, 1, 3);
        Assert.NotNull(report["timings"]!["construct_ms"]);
        Assert.NotNull(report["timings"]!["compile_ms"]);
        Assert.NotNull(report["timings"]!["measure_ms"]);
    }

    [Fact]
    public void Without_top_k_the_cpu_accelerator_measures_five_candidates()
    {
        var result = GensorCli.Run("tune", "--compute", "C[m,n] = A[m,n] * 2", "--shape", "m=64,n=64", "--device", "cpu", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal(5, (int)report["measured"]!);
        Assert.Equal(5, report["candidates"]!.AsArray().Count);
    }

    [Fact]
    public void Text_output_names_the_device_the_schedule_the_time_and_the_verification()
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--top-k", "2"]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("device:    cpu", result.Output);
        Assert.Contains("simulated", result.Output);
        Assert.Contains("best:      block=", result.Output);
        Assert.Contains("time:", result.Output);
        Assert.Contains("verified:  yes", result.Output);
    }

    [Fact]
    public void Out_directory_receives_the_kernel_source_and_the_report()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = GensorCli.Run(["tune", .. SmallGemm, "--schedule", "block=16x16 thread=2x2 reduce=8 shared=A,B", "--out", outDir, "--format", "json"]);

        Assert.True(result.ExitCode == 0, result.Error);
        var kernel = File.ReadAllText(Path.Combine(outDir, "kernel.cs"));
        Assert.Contains("public static void Kernel(", kernel);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
        // The printed report is report.json's object plus the files --out now holds and lost.
        var printed = JsonNode.Parse(result.Output)!.AsObject();
        var files = printed["files"]!;
        Assert.Equal([Path.Combine(outDir, "kernel.cs"), Path.Combine(outDir, "report.json")], files["written"]!.AsArray().Select(f => (string?)f));
        Assert.Empty(files["removed"]!.AsArray());
        printed.Remove("files");
        Assert.Equal(printed.ToJsonString(), report.ToJsonString());
        Assert.Equal("fixed", (string?)report["policy"]);
    }

    [Fact]
    public void A_tune_into_an_emit_folder_replaces_the_emitted_kernel_and_its_launch_json()
    {
        // An emit's launch.json left beside tune's kernel.cs described another kernel; the user's files stay.
        using var dir = new TempDirectory();
        var notes = dir.File("notes.txt", "mine");
        var emit = GensorCli.Run("emit", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--target", "h100", "--lang", "ptx", "--out", dir.Path);
        Assert.True(emit.ExitCode == 0, emit.Error);

        var result = GensorCli.Run(["tune", .. SmallGemm, "--schedule", "block=16x16 thread=2x2 reduce=8", "--out", dir.Path]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["kernel.cs", "notes.txt", "report.json"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("mine", File.ReadAllText(notes));
        Assert.Contains($"removed:   {Path.Combine(dir.Path, "kernel.ptx")}, {Path.Combine(dir.Path, "launch.json")}", result.Output);

        // With --format json the files removed are in the printed object.
        var inJson = GensorCli.Run("emit", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--target", "h100", "--lang", "ptx", "--out", dir.Path);
        Assert.True(inJson.ExitCode == 0, inJson.Error);
        var json = GensorCli.Run(["tune", .. SmallGemm, "--schedule", "block=16x16 thread=2x2 reduce=8", "--out", dir.Path, "--format", "json"]);
        Assert.True(json.ExitCode == 0, json.Error);
        Assert.Equal([Path.Combine(dir.Path, "kernel.ptx"), Path.Combine(dir.Path, "launch.json")],
            JsonNode.Parse(json.Output)!["files"]!["removed"]!.AsArray().Select(f => (string?)f));

        var again = GensorCli.Run("emit", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--target", "h100", "--lang", "cs", "--out", dir.Path, "--compiler-check", "off");

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(["kernel.cs", "launch.json", "notes.txt"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains($"removed:   {Path.Combine(dir.Path, "report.json")}", again.Output);
    }

    [Fact]
    public void A_tune_into_a_folder_whose_kernel_cs_links_to_launch_json_is_bad_input_before_any_work()
    {
        // Found by fuzzing: tune wrote its C# kernel into launch.json through the link, exit 0.
        using var dir = new TempDirectory();
        var launch = dir.File("launch.json", "{}");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "kernel.cs"), launch);

        var result = GensorCli.Run(["tune", .. SmallGemm, "--schedule", "block=16x16 thread=2x2 reduce=8", "--out", dir.Path]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("kernel.cs is a link to launch.json", result.Error);
        Assert.Equal("{}", File.ReadAllText(launch));
        Assert.Equal(["kernel.cs", "launch.json"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_spec_file_is_tuned_like_the_inline_form()
    {
        using var dir = new TempDirectory();
        var spec = dir.File("gemv.json", """{"name": "gemv", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 40, "j": 24}}""");

        var result = GensorCli.Run("tune", spec, "--device", "cpu", "--top-k", "2", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("gemv", (string?)JsonNode.Parse(result.Output)!["name"]);
    }

    [Fact]
    public void No_candidate_that_runs_exits_3_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        // Legal on an H100 (512 threads), but the CPU accelerator runs at most 256 per group.
        var result = GensorCli.Run(["tune", .. SmallGemm, "--target", "h100", "--schedule", "block=32x16 thread=1x1 reduce=4", "--out", outDir]);

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("error:", result.Error.Trim());
        Assert.False(Directory.Exists(outDir));
    }
}
