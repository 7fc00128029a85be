using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Gensor.Bench;

/// <summary>
/// One run of the gensor command line in a fresh process: its JSON output, wall time, and the
/// CPU time (user + system) the process and its threads used. On a machine shared with
/// others, the wall time says as much about them as about gensor; the CPU time does not.
/// </summary>
internal sealed record ChildRun(JsonNode? Json, int ExitCode, double WallMs, double? CpuMs, double LoadAverage, string Error)
{
    /// <summary>
    /// Runs <paramref name="gensor"/> (a gensor.dll, run with dotnet, or an executable) with
    /// <paramref name="arguments"/>, in the working directory, and waits for it.
    /// </summary>
    public static ChildRun Of(string gensor, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(gensor.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : gensor)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (gensor.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(gensor);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var before = ChildrenCpuMs();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {gensor}");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var wallMs = clock.Elapsed.TotalMilliseconds;
        var after = ChildrenCpuMs();
        JsonNode? json = null;
        try
        {
            json = JsonNode.Parse(output);
        }
        catch (System.Text.Json.JsonException)
        {
            // Reported through the exit code and stderr.
        }
        return new ChildRun(json, process.ExitCode, wallMs, before is { } b && after is { } a ? a - b : null, CurrentLoadAverage(), error.Result.Trim());
    }

    /// <summary>The one-minute load average (Linux), or NaN.</summary>
    public static double CurrentLoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    /// <summary>Path of the built command line, found upwards from the working directory, or null.</summary>
    public static string? DefaultGensor()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Gensor.Cli", "bin", "Release", "net10.0", "gensor.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>CPU time of the children waited for so far (getrusage, Linux), or null elsewhere.</summary>
    private static double? ChildrenCpuMs()
    {
        if (!OperatingSystem.IsLinux() || getrusage(RusageChildren, out var usage) != 0)
        {
            return null;
        }
        return (usage.UserSeconds + usage.SystemSeconds) * 1e3 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1e3;
    }

    private const int RusageChildren = -1;

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);

    // struct rusage on 64-bit Linux: two timevals (seconds, microseconds), then 14 longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }
}
