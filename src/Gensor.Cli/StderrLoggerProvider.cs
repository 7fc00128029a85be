using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>
/// A minimal logger that writes "level: message" lines to the command's error
/// writer (the console logger writes on a background thread, which interleaves
/// badly with the results and cannot be redirected in tests).
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter error) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(error);

    public void Dispose()
    {
    }

    private sealed class Logger(TextWriter error) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var level = logLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                _ => "error",
            };
            lock (error)
            {
                // One line per message, whatever names or paths it quotes.
                error.WriteLine($"{level}: {Gensor.Diagnostics.Printable.Text(formatter(state, exception))}");
            }
        }
    }
}
