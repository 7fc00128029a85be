using System.Diagnostics;

namespace Gensor.Tests.Support;

/// <summary>
/// Runs the real gensor program (<c>dotnet gensor.dll</c>) in a working
/// directory, for what only a process shows: its exit code, what it leaves on
/// disk, how long it takes, a crash or a hang. <c>GENSOR_TEST_DLL</c> points the
/// tests at another build (to see a test fail before its fix).
/// </summary>
public static class GensorProcess
{
    public sealed record Result(int ExitCode, string Output, string Error, TimeSpan Elapsed, bool TimedOut)
    {
        /// <summary>The non-empty lines of stderr.</summary>
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string Dll => Environment.GetEnvironmentVariable("GENSOR_TEST_DLL") is { Length: > 0 } dll
        ? dll
        : typeof(Gensor.Cli.Program).Assembly.Location;

    public static Result Run(string workingDirectory, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
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
            process.WaitForExit();
        }
        return new Result(finished ? process.ExitCode : -1, output.Result, error.Result, clock.Elapsed, !finished);
    }

    /// <summary>Every file and directory under <paramref name="directory"/>, relative, sorted.</summary>
    public static string[] Files(string directory) =>
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Bad input as the README promises it: exit 2, one "error: " line, no stack trace.</summary>
    public static void AssertBadInput(Result result, params string[] expectedWords)
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
