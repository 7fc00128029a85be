using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Gensor.Tuning.Isolation;
using ILGPU.Runtime;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>Chooses how candidates are measured from <c>--isolate</c> and <c>--candidate-timeout</c>.</summary>
internal static class Measurers
{
    /// <summary>The longest <c>--candidate-timeout</c>: a day (the worker's timers take at most 24.8 days).</summary>
    public const int MaxTimeoutSeconds = 86_400;

    /// <summary>Checks <c>--isolate</c> and <c>--candidate-timeout</c>.</summary>
    public static void Validate(string isolate, int timeoutSeconds)
    {
        if (isolate is not ("auto" or "on" or "off"))
        {
            throw GensorException.BadInput($"unknown --isolate '{isolate}' (expected auto, on or off)");
        }
        if (timeoutSeconds < 1)
        {
            throw GensorException.BadInput($"--candidate-timeout must be at least 1 second, not {timeoutSeconds}");
        }
        if (timeoutSeconds > MaxTimeoutSeconds)
        {
            throw GensorException.BadInput($"--candidate-timeout must be at most {MaxTimeoutSeconds} seconds (a day), not {timeoutSeconds}");
        }
    }

    /// <summary>The measurer to use, or null for the tuner's default (in this process).</summary>

    public static ICandidateMeasurer? Choose(string isolate, int timeoutSeconds, KernelDevice device, ILogger logger)
    {
        Validate(isolate, timeoutSeconds);
        // A GPU kernel that faults can leave the context unusable for every later candidate;
        // on the CPU accelerator a kernel's failure is an ordinary exception.
        var on = isolate == "on" || (isolate == "auto" && !device.Simulated);
        if (!on)
        {
            return null;
        }
        var kind = device.Accelerator.AcceleratorType switch
        {
            AcceleratorType.Cuda => DeviceKind.Cuda,
            AcceleratorType.OpenCL => DeviceKind.OpenCL,
            _ => DeviceKind.Cpu,
        };
        return new IsolatedMeasurer(CurrentWorker(), kind, TimeSpan.FromSeconds(timeoutSeconds), logger);
    }

    /// <summary>
    /// This program again, as <c>measure-worker</c>: the apphost when we run as
    /// <c>gensor</c>, else <c>dotnet gensor.dll</c> (under <c>dotnet run</c>, tests, or a tool shim).
    /// </summary>
    public static WorkerCommand CurrentWorker()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "gensor")
        {
            return new WorkerCommand(process, ["measure-worker"]);
        }
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path
            : process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
        return new WorkerCommand(host, [typeof(Program).Assembly.Location, "measure-worker"]);
    }
}
