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

    [Fact]
    public void A_run_records_its_profile_and_the_next_run_plays_it_back_with_the_same_output()
    {
        var folder = Directory.CreateTempSubdirectory("gensor-jit-").FullName;
        try
        {
            var environment = new Dictionary<string, string?> { [JitProfile.Variable] = folder };
            var first = GensorProcess.Run(environment, "profiles", "--format", "json");
            Assert.True(first.ExitCode == 0, first.Error);
            var profile = Path.Combine(folder, "profiles.jitprofile");
            Assert.True(File.Exists(profile) && new FileInfo(profile).Length > 0, "no profile recorded");

            var second = GensorProcess.Run(environment, "profiles", "--format", "json");
            Assert.True(second.ExitCode == 0, second.Error);
            Assert.Equal(first.Output, second.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_damaged_profile_costs_nothing_but_time()
    {
        // Two gensor processes may write one profile at once; what the runtime reads must never matter.
        var folder = Directory.CreateTempSubdirectory("gensor-jit-").FullName;
        try
        {
            var garbage = new byte[40_000];
            new Random(7).NextBytes(garbage);
            File.WriteAllBytes(Path.Combine(folder, "profiles.jitprofile"), garbage);
            var off = GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = "off" }, "profiles", "--format", "json");

            var damaged = GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = folder }, "profiles", "--format", "json");

            Assert.True(damaged.ExitCode == 0, damaged.Error);
            Assert.Equal(off.Output, damaged.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Off_writes_nothing_and_an_unwritable_folder_does_not_stop_the_command()
    {
        var folder = Directory.CreateTempSubdirectory("gensor-jit-").FullName;
        try
        {
            var off = GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = "off", ["HOME"] = folder }, "profiles");
            Assert.True(off.ExitCode == 0, off.Error);
            Assert.Empty(GensorProcess.Files(folder));

            // A file where the folder should be: creating the folder fails, the command runs as without it.
            var blocker = Path.Combine(folder, "file");
            File.WriteAllText(blocker, "");
            var blocked = GensorProcess.Run(new Dictionary<string, string?> { [JitProfile.Variable] = Path.Combine(blocker, "jit") }, "profiles");
            Assert.True(blocked.ExitCode == 0, blocked.Error);
            Assert.Equal(off.Output, blocked.Output);
            Assert.Equal("", blocked.Error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
