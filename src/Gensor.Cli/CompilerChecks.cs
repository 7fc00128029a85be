using Gensor.Backend.Inspection;
using Gensor.Diagnostics;
using Gensor.Feedback;
using Gensor.Hardware;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>
/// Turns <c>--compiler-check auto|on|off</c> and a target profile into the
/// compiler construction asks, or none. Only NVIDIA profiles have a compiler
/// here (ptxas); <c>auto</c> uses it when it is found and says so when not.
/// </summary>
internal static class CompilerChecks
{
    /// <summary>Checks the option's value before any work.</summary>
    /// <exception cref="GensorException">Not auto, on or off (bad input).</exception>
    public static string Validate(string mode) => mode is "auto" or "on" or "off"
        ? mode
        : throw GensorException.BadInput($"unknown --compiler-check '{mode}' (expected auto, on or off)");

    /// <summary>The compiler for <paramref name="target"/> under <paramref name="mode"/>; null when there is none to ask.</summary>
    /// <exception cref="GensorException">
    /// <c>on</c> for a target that is not an NVIDIA GPU, or without ptxas: bad input either way, a request
    /// this machine cannot meet, as <c>--device cuda</c> without a GPU is; nothing was tried, so it is no internal error.
    /// </exception>
    public static ICompilerFeedback? For(string mode, HardwareProfile target, ILogger logger)
    {
        if (mode == "off")
        {
            return null;
        }
        if (!KernelInspector.IsCuda(target))
        {
            return mode == "on"
                ? throw GensorException.BadInput($"--compiler-check on: {target.Name} ({target.Architecture}) is not an NVIDIA GPU profile, which is what ptxas compiles for")
                : null;
        }
        if (NvidiaCompilerFeedback.TryCreate(out var missing) is { } compiler)
        {
            return compiler;
        }
        if (mode == "on")
        {
            throw GensorException.BadInput($"--compiler-check on: {missing}");
        }
        logger.LogWarning("no compiler check for {Target}: {Missing}; candidates are ranked by the cost model's register estimate", target.Name, missing);
        return null;
    }
}
