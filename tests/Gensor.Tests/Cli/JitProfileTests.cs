using Gensor.Cli;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>The command line's multi-core JIT profiles (<see cref="JitProfile"/>).</summary>
public sealed class JitProfileTests
{
    [Theory]
    [InlineData(new[] { "tune", "gemm.json" }, "tune.jitprofile")]
    [InlineData(new[] { "explain", "--compute", "C[m] += A[m]" }, "explain.jitprofile")]
    [InlineData(new[] { "/tmp/spec.json" }, "gensor.jitprofile")]
    [InlineData(new[] { "--help" }, "gensor.jitprofile")]
    [InlineData(new string[0], "gensor.jitprofile")]
    public void Each_command_has_its_own_profile_and_other_first_words_share_one(string[] args, string expected)
    {
        Assert.Equal(Path.Combine("/data", expected), JitProfile.FileFor(args, null, "/data"));
        Assert.Equal(Path.Combine("/elsewhere", expected), JitProfile.FileFor(args, "/elsewhere", "/data"));
    }

    [Fact]
    public void Off_or_no_folder_or_the_isolation_worker_records_nothing()
    {
        Assert.Null(JitProfile.FileFor(["tune"], "off", "/data"));
        Assert.Null(JitProfile.FileFor(["tune"], "OFF", "/data"));
        Assert.Null(JitProfile.FileFor(["tune"], null, null));
        Assert.Null(JitProfile.FileFor(["measure-worker"], null, "/data"));
    }

    /// <summary>Runs gensor with its JIT profiles in <paramref name="folder"/> (or <c>off</c>), and other variables.</summary>
    private static GensorCli.Result RunWithProfiles(string folder, params string[] args) =>
        GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = folder }, args);

    [Fact]
    public void A_run_records_its_profile_and_the_next_run_plays_it_back_with_the_same_output()
    {
        using var dir = new TempDirectory();
        var first = RunWithProfiles(dir.Path, "profiles", "--format", "json");
        Assert.True(first.ExitCode == 0, first.Error);
        var profile = Path.Combine(dir.Path, "profiles.jitprofile");
        Assert.True(File.Exists(profile) && new FileInfo(profile).Length > 0, "no profile recorded");

        var second = RunWithProfiles(dir.Path, "profiles", "--format", "json");
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public void A_damaged_profile_costs_nothing_but_time()
    {
        // Two gensor processes may write one profile at once; what the runtime reads must never matter.
        using var dir = new TempDirectory();
        var garbage = new byte[40_000];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(dir.Path, "profiles.jitprofile"), garbage);
        var off = RunWithProfiles("off", "profiles", "--format", "json");

        var damaged = RunWithProfiles(dir.Path, "profiles", "--format", "json");

        Assert.True(damaged.ExitCode == 0, damaged.Error);
        Assert.Equal(off.Output, damaged.Output);
    }

    [Fact]
    public void Off_writes_nothing_and_an_unwritable_folder_does_not_stop_the_command()
    {
        using var dir = new TempDirectory();
        var off = GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = "off", ["HOME"] = dir.Path }, "profiles");
        Assert.True(off.ExitCode == 0, off.Error);
        Assert.Empty(GensorProcess.Files(dir.Path));

        // A file where the folder should be: creating the folder fails, the command runs as without it.
        var blocker = dir.File("file", "");
        var blocked = RunWithProfiles(Path.Combine(blocker, "jit"), "profiles");
        Assert.True(blocked.ExitCode == 0, blocked.Error);
        Assert.Equal(off.Output, blocked.Output);
        Assert.Equal("", blocked.Error);
    }
}
