using Gensor.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>
/// What every command shares: where results and diagnostics go, and the
/// logger. Results go to stdout, diagnostics to stderr, so scripts can pipe
/// results.
/// </summary>
public sealed class CliContext(TextWriter output, TextWriter error, bool verbose)
{
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public bool Verbose { get; } = verbose;

    public ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(Verbose ? LogLevel.Debug : LogLevel.Warning)
        .AddProvider(new StderrLoggerProvider(Error)));

    /// <summary>
    /// Runs a command body and turns what escapes it into an exit code and one
    /// line on stderr: a user error prints its message, anything else is an
    /// internal error (exit 1), with the stack trace only under --verbose.
    /// </summary>
    public int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (GensorException exception)
        {
            Error.WriteLine(exception.Error.ToString());
            if (Verbose && exception.InnerException is not null)
            {
                Error.WriteLine(exception.InnerException);
            }
            return exception.Error.ExitCode;
        }
        catch (Exception exception)
        {
            Error.WriteLine($"error: internal error: {exception.GetType().Name}: {Printable.Text(FirstLine(exception.Message))}");
            if (Verbose)
            {
                Error.WriteLine(exception);
            }
            return (int)ErrorKind.Internal;
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
