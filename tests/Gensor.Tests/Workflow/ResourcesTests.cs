using System.Text.Json.Nodes;
using Gensor.Backend.Inspection;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary>
/// GPU truth in the commands: <c>emit --lang sass</c>, and the <c>resources</c> block that
/// launch.json and the tuning reports carry for a CUDA profile's kernel.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ResourcesTests
{
    private static readonly string[] Gemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=32", "--name", "gemm"];

    private static JsonNode LaunchJson(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "launch.json")))!;

    /// <summary>An environment in which no NVIDIA tools are found: an empty folder named explicitly.</summary>
    private static Dictionary<string, string?> NoTools(TempDirectory dir) => new() { ["GENSOR_NVIDIA_TOOLS"] = Directory.CreateDirectory(Path.Combine(dir.Path, "empty")).FullName };

    [Fact]
    public void Emit_sass_writes_the_cubin_and_its_listing_through_the_real_binary()
    {
        InstalledTools.Require();
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = GensorProcess.Run(null, ["emit", .. Gemm, "--target", "h100", "--lang", "sass", "--out", outDir]);

        Assert.True(result.ExitCode == 0, result.Error);
        var cubin = File.ReadAllBytes(Path.Combine(outDir, "kernel.cubin"));
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], cubin[..4]);
        var listing = SassListing.Parse(File.ReadAllText(Path.Combine(outDir, "kernel.sass"))).Single();
        Assert.Equal("sm_90", listing.Architecture);
        var resources = LaunchJson(outDir)["resources"]!;
        Assert.Equal(listing.Mix().Total, (int)resources["instructions"]!["total"]!);
        Assert.Equal("sass", (string?)LaunchJson(outDir)["language"]);
        Assert.Contains("resources: sm_90: ", result.Output);
    }

    [Fact]
    public void Emit_sass_for_an_architecture_ptxas_does_not_know_is_bad_input_and_writes_nothing()
    {
        InstalledTools.Require();
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");
        var profile = Gensor.Hardware.ProfileCatalog.ToJson(Gensor.Hardware.BuiltInProfiles.H100 with { Name = "future", Architecture = "sm_999" });
        var profilePath = dir.File("future.json", profile);

        var result = GensorProcess.Run(null, ["emit", .. Gemm, "--target", profilePath, "--lang", "sass", "--out", outDir]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ptxas ", result.Error);
        Assert.Contains("does not know sm_999", result.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Emit_sass_without_the_tools_is_bad_input_saying_how_to_install_them_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = GensorProcess.Run(NoTools(dir), ["emit", .. Gemm, "--target", "h100", "--lang", "sass", "--out", outDir]);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Contains("scripts/install-nvidia-tools.sh", result.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Emit_sass_with_a_temporary_directory_it_cannot_write_names_it_and_writes_nothing()
    {
        // A full temporary directory read "internal error: AggregateException: ... because the disk was full"
        // (probed on a 12 KB tmpfs); a TMPDIR that is a file fails the same way without filling a disk.
        InstalledTools.Require();
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");
        var notAFolder = dir.File("tmp", "a file, not a folder");

        var result = GensorProcess.Run(new Dictionary<string, string?> { ["TMPDIR"] = notAFolder }, ["emit", .. Gemm, "--target", "h100", "--lang", "sass", "--out", outDir]);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith($"error: cannot write the NVIDIA tools' temporary files in {notAFolder}/ (TMPDIR sets the folder): ", error);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("emit")]
    [InlineData("tune")]
    [InlineData("batch")]
    public void A_compiler_check_required_without_the_tools_is_bad_input_in_every_command(string command)
    {
        // Like --device cuda without a GPU: a request this machine cannot meet, refused before any work (it was exit 1, an internal error).
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");
        var suite = dir.File("suite.json", """[{"name": "gemm", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 64, "n": 64, "k": 32}}]""");
        string[] args = command switch
        {
            "explain" => ["explain", .. Gemm],
            "emit" => ["emit", .. Gemm, "--out", outDir],
            "tune" => ["tune", .. Gemm, "--device", "cpu"],
            _ => ["batch", suite, "--device", "cpu"],
        };

        var result = GensorProcess.Run(NoTools(dir), [.. args, "--target", "h100", "--compiler-check", "on"]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith("error: --compiler-check on: ", line);
        Assert.Contains("scripts/install-nvidia-tools.sh", line);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Without_the_tools_launch_json_has_null_resources_and_the_reason()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = GensorProcess.Run(NoTools(dir), ["emit", .. Gemm, "--target", "h100", "--lang", "ptx", "--out", outDir]);

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = LaunchJson(outDir).AsObject();
        Assert.True(launch.ContainsKey("resources"));
        Assert.Null(launch["resources"]);
        Assert.Contains("GENSOR_NVIDIA_TOOLS", (string?)launch["resources_reason"]);
        // Said once on stderr.
        Assert.Single(result.Error.Trim().Split('\n'), line => line.Contains("no kernel resources", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ptx")]
    [InlineData("cs")]
    public void Launch_json_of_a_cuda_kernel_holds_its_resources_for_the_profile(string lang)
    {
        InstalledTools.Require();
        using var dir = new TempDirectory();

        var result = GensorCli.Run(["emit", .. Gemm, "--target", "a100", "--lang", lang, "--out", dir.Path]);

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = LaunchJson(dir.Path);
        var resources = launch["resources"]!;
        Assert.Equal("sm_80", (string?)resources["architecture"]);
        Assert.InRange((int)resources["registers"]!, 8, 255);
        Assert.Equal(0, (int)resources["spill_store_bytes"]!);
        Assert.Equal((int)launch["shared_memory_bytes"]!, (int)resources["static_shared_memory_bytes"]!);
        var occupancy = resources["occupancy"]!;
        Assert.Equal(("a100", (int)launch["grid"]!, (int)launch["group"]!), ((string?)occupancy["profile"], (int)occupancy["grid"]!, (int)occupancy["group"]!));
        Assert.True((int)occupancy["resident_threads_per_sm"]! > 0);
        Assert.True((int)resources["instructions"]!["total"]! > 0);
        Assert.NotNull(resources["tools"]!["cuda_release"]);
    }

    [Theory]
    [InlineData("cpu", "cs", "not an NVIDIA GPU profile")]
    [InlineData("h100", "opencl", "OpenCL")]
    public void Launch_json_without_figures_says_why(string target, string lang, string reason)
    {
        using var dir = new TempDirectory();

        var result = GensorCli.Run(["emit", .. Gemm, "--target", target, "--lang", lang, "--out", dir.Path]);

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = LaunchJson(dir.Path).AsObject();
        Assert.Null(launch["resources"]);
        Assert.Contains(reason, (string?)launch["resources_reason"]);
    }

    [Fact]
    public void The_tune_report_holds_the_best_kernels_resources_on_the_target_profile()
    {
        InstalledTools.Require();
        using var dir = new TempDirectory();

        var result = GensorCli.Run(["tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--device", "cpu", "--target", "h100",
            "--top-k", "1", "--format", "json", "--out", dir.Path]);

        Assert.True(result.ExitCode == 0, result.Error);
        var printed = JsonNode.Parse(result.Output)!;
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "report.json")))!;
        foreach (var report in new[] { printed, saved })
        {
            var resources = report["resources"]!;
            Assert.Equal("sm_90", (string?)resources["architecture"]);
            Assert.Equal("h100", (string?)resources["occupancy"]!["profile"]);
            Assert.Equal((int)report["launch"]!["group"]!, (int)resources["occupancy"]!["group"]!);
            // The CPU accelerator has no driver to ask.
            Assert.True(report.AsObject().ContainsKey("driver_attributes"));
            Assert.Null(report["driver_attributes"]);
        }
    }

    [Fact]
    public void The_tune_text_shows_the_resources_line()
    {
        InstalledTools.Require();

        var result = GensorCli.Run(["tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--device", "cpu", "--target", "v100", "--top-k", "1"]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("resources: sm_70: ", result.Output);
    }

    [Fact]
    public void Tuning_for_the_cpu_profile_reports_null_resources_with_the_reason()
    {
        var result = GensorCli.Run(["tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--device", "cpu", "--top-k", "1", "--format", "json"]);

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Null(report["resources"]);
        Assert.Contains("not an NVIDIA GPU profile", (string?)report["resources_reason"]);
    }
}
