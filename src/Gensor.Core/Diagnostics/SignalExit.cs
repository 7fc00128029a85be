using System.Runtime.InteropServices;

namespace Gensor.Diagnostics;

/// <summary>The exit code a process ended by a signal reports, as shells write it.</summary>
public static class SignalExit
{
    /// <summary>128 + the signal's number: 129 for SIGHUP, 130 for SIGINT, 131 for SIGQUIT, 143 for SIGTERM.</summary>
    public static int Code(PosixSignal signal) => 128 + signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => 0,
    };
}
