using System.Diagnostics;

namespace Gensor.Backend.Inspection;

/// <summary>What one run of an external tool gave.</summary>
internal sealed record ToolOutput(int ExitCode, string Output, string Error, double Milliseconds)
{
    /// <summary>The tool's own words on failure: its error output, else its output.</summary>
    public string Message => (Error.Trim().Length > 0 ? Error : Output).Trim();
}

/// <summary>Runs NVIDIA's command-line tools and captures what they print.</summary>
internal static class ToolProcess
{
    /// <summary>A tool that has not finished after this long is killed; ptxas on the largest kernels here takes seconds.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static ToolOutput Run(string path, params string[] arguments)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {path}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(path)} did not finish within {Timeout.TotalMinutes} minutes");
        }
        process.WaitForExit();
        return new ToolOutput(process.ExitCode, output.Result, error.Result, clock.Elapsed.TotalMilliseconds);
    }
}
