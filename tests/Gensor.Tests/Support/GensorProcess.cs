using System.Diagnostics;

namespace Gensor.Tests.Support;

/// <summary>
/// Runs the real <c>gensor</c> binary (the gensor.dll built beside the tests,
/// under <c>dotnet</c>) as a user's shell would: its own process, its own
/// stdout, stderr and exit code.
/// </summary>
public static class GensorProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "gensor.dll");

    /// <summary>Runs gensor with <paramref name="args"/> to the end (or kills it after <paramref name="timeout"/> and fails).</summary>
    public static GensorCli.Result Run(string[] args, TimeSpan? timeout = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var process = Start(args, workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gensor {string.Join(' ', args)} did not finish in time");
        }
        process.WaitForExit();
        return new GensorCli.Result(process.ExitCode, output.Result, error.Result);
    }

    public static GensorCli.Result Run(params string[] args) => Run(args, null);

    /// <summary>Runs gensor with changes to its environment (a null value removes the variable).</summary>
    public static GensorCli.Result Run(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        Run(args, null, null, environment);

    /// <summary>Starts gensor with redirected streams; the caller reads them and waits.</summary>
    public static Process Start(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }
}
