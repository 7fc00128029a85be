using System.Diagnostics;

namespace Gensor.Tests.Support;

/// <summary>
/// Runs the real <c>gensor</c> binary (the gensor.dll built beside the tests,
/// under <c>dotnet</c>) as a user's shell would: its own process, its own
/// stdout, stderr and exit code. <see cref="Observe"/> also shows what only a
/// process shows: how long it took, and a hang (killed, not failed, so a test
/// can say what it expected). <c>GENSOR_TEST_DLL</c> points the tests at
/// another build (to see a test fail before its fix).
/// </summary>
public static class GensorProcess
{
    /// <summary>A run seen from outside: exit code, streams, time taken, and whether it was killed for taking too long.</summary>
    public sealed record Observed(int ExitCode, string Output, string Error, TimeSpan Elapsed, bool TimedOut)
    {
        /// <summary>The non-empty lines of stderr.</summary>
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string Dll => Environment.GetEnvironmentVariable("GENSOR_TEST_DLL") is { Length: > 0 } dll
        ? dll
        : Path.Combine(AppContext.BaseDirectory, "gensor.dll");

    /// <summary>Where the gensor processes of this test run keep their JIT profiles (removed when the run ends).</summary>
    public static string JitProfiles { get; } = Path.Combine(Path.GetTempPath(), $"gensor-tests-jit-{Environment.ProcessId}");

    static GensorProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(JitProfiles, recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Never created, or already gone.
            }
        };
    }

    /// <summary>Runs gensor with <paramref name="args"/> to the end (or kills it after <paramref name="timeout"/> and fails).</summary>
    public static GensorCli.Result Run(string[] args, TimeSpan? timeout = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var run = Observe(workingDirectory ?? Environment.CurrentDirectory, args, timeout ?? TimeSpan.FromMinutes(3), environment: environment);
        if (run.TimedOut)
        {
            Assert.Fail($"gensor {string.Join(' ', args)} did not finish in time");
        }
        return new GensorCli.Result(run.ExitCode, run.Output, run.Error);
    }

    public static GensorCli.Result Run(params string[] args) => Run(args, null);

    /// <summary>Runs gensor with changes to its environment (a null value removes the variable).</summary>
    public static GensorCli.Result Run(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        Run(args, null, null, environment);

    /// <summary>
    /// Runs gensor in <paramref name="workingDirectory"/> with <paramref name="stdin"/>
    /// (or an empty, closed stdin); after <paramref name="timeout"/> (default two
    /// minutes) kills it and reports <see cref="Observed.TimedOut"/>.
    /// </summary>
    public static Observed Observe(string workingDirectory, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var clock = Stopwatch.StartNew();
        using var process = Start([.. args], workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }
        process.StandardInput.Close();
        var finished = process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2));
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        return new Observed(finished ? process.ExitCode : -1, output.Result, error.Result, clock.Elapsed, !finished);
    }

    /// <summary>Starts gensor with redirected streams; the caller reads them and waits.</summary>
    public static Process Start(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null,
        bool defaultSignals = false)
    {
        // A job started in the background by a non-interactive shell ignores SIGINT and SIGQUIT, and
        // its children inherit that (a test run started with '&' does). A test of what gensor does
        // on those signals starts it through coreutils' env with their default handling restored,
        // as an interactive shell would start it; env execs dotnet, so the process id stays gensor's.
        var info = new ProcessStartInfo(defaultSignals ? "env" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (defaultSignals)
        {
            info.ArgumentList.Add("--default-signal=INT,QUIT");
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // JIT profiles go to the test run's own folder, not the user's (a test may name another).
        info.Environment["GENSOR_JIT_PROFILE"] = JitProfiles;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Every file and directory under <paramref name="directory"/>, relative, sorted.</summary>
    public static string[] Files(string directory) =>
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Bad input as the README promises it: exit 2, one "error: " line, no stack trace.</summary>
    public static void AssertBadInput(Observed result, params string[] expectedWords)
    {
        Assert.False(result.TimedOut, "timed out");
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("   at ", result.Error);
        foreach (var word in expectedWords)
        {
            Assert.Contains(word, line);
        }
    }
}
