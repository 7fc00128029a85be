using System.Diagnostics;

namespace Gensor.Tests.Support;

/// <summary>Runs a real program to its end, capturing what it prints; one that outlives its time is killed and fails the test.</summary>
public static class ChildProcess
{
    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be started.</exception>
    public static Output Run(ProcessStartInfo info, TimeSpan timeout)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds} s");
        }
        process.WaitForExit();
        return new Output(process.ExitCode, stdout.Result, stderr.Result);
    }
}
