namespace Gensor.Diagnostics;

/// <summary>What kind of failure an error is; it decides the process exit code.</summary>
public enum ErrorKind
{
    /// <summary>A bug, or the environment failing during the work, e.g. a file locked too long (exit code 1).</summary>
    Internal = 1,

    /// <summary>
    /// Malformed input (a spec, an expression, an option), or a request this machine cannot meet
    /// before any work: a device or a tool it lacks, such as <c>--device cuda</c> without a GPU (exit code 2).
    /// </summary>
    BadInput = 2,

    /// <summary>No candidate compiled and verified (exit code 3).</summary>
    NoResult = 3,
}

/// <summary>
/// An error meant for a user: one line that names the problem and where it is
/// (a file path, a column of the expression), and the exit code it maps to.
/// </summary>
public sealed record GensorError(ErrorKind Kind, string Message)
{
    public int ExitCode => (int)Kind;

    public static GensorError BadInput(string message) => new(ErrorKind.BadInput, message);

    /// <summary>The line printed for it: control characters in the message (from a name or a path) are escaped, so it stays one line.</summary>
    public override string ToString() => $"error: {Printable.Text(Message)}";
}

/// <summary>
/// Carries a <see cref="GensorError"/> out of deep code. The command line
/// catches it at the top and prints the error as one line; nothing else
/// should let it escape to the user.
/// </summary>
public sealed class GensorException(GensorError error, Exception? inner = null) : Exception(error.Message, inner)
{
    public GensorError Error { get; } = error;

    public static GensorException BadInput(string message) => new(GensorError.BadInput(message));
}
