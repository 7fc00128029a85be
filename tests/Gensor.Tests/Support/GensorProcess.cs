using System.Diagnostics;

namespace Gensor.Tests.Support;

/// <summary>
/// Runs the real gensor binary (<c>dotnet gensor.dll</c>) as a separate process, with
/// optional environment changes, and captures what it prints.
/// </summary>
public static class GensorProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static GensorCli.Result Run(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var info = new ProcessStartInfo(host);
        info.ArgumentList.Add(typeof(Gensor.Cli.Program).Assembly.Location);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }
        var output = ChildProcess.Run(info, Timeout);
        return new GensorCli.Result(output.ExitCode, output.Stdout, output.Stderr);
    }
}
