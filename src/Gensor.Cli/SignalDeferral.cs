using System.Runtime.InteropServices;
using Gensor.Diagnostics;

namespace Gensor.Cli;

/// <summary>
/// Holds off SIGINT, SIGTERM and SIGHUP while a short step that must not be cut
/// in two runs (the renames that put a set of output files in place), then ends
/// the process as the first of them would have: exit code 128 + its number.
/// SIGKILL cannot be held off; nothing can.
/// </summary>
internal static class SignalDeferral
{
    private static readonly PosixSignal[] _held = [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP];

    /// <summary>
    /// Runs <paramref name="step"/> with the signals held; if one came meanwhile,
    /// then calls <paramref name="afterwards"/> with it (by default: exit with its code).
    /// </summary>
    public static void Run(Action step, Action<PosixSignal>? afterwards = null)
    {
        PosixSignal? deferred = null;
        var registrations = _held.Select(signal => PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            lock (_held)
            {
                deferred ??= context.Signal;
            }
        })).ToArray();
        try
        {
            step();
        }
        finally
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
            PosixSignal? came;
            lock (_held)
            {
                came = deferred;
            }
            // Also after a failed step (rolled back by then): the user asked the process to stop.
            if (came is { } signal)
            {
                (afterwards ?? (s => Environment.Exit(SignalExit.Code(s))))(signal);
            }
        }
    }
}
