using System.Globalization;
using Gensor.Tuning.Batch;
using Gensor.Tuning.Reports;

namespace Gensor.Cli;

/// <summary>
/// Batch progress on stderr, with an estimate of the time left (the mean time
/// of the operators tuned so far, times those still to go). On a terminal, a
/// live bar is redrawn as each operator's policies run, and each finished
/// operator leaves one line above it; redirected, only the one plain line per
/// finished operator, which logs keep well.
/// </summary>
internal sealed class BatchProgressDisplay(TextWriter error, bool live, Func<TimeSpan> clock) : IBatchProgress
{
    private const string _clearLine = "\r\u001b[2K";
    private const int _barWidth = 24;

    private readonly object _gate = new();
    private int _done;
    private int _tuned;
    private TimeSpan _tuningTime;
    private TimeSpan? _startedAt;
    private bool _stopped;

    /// <summary>A display on the process's stderr: live when stderr is a terminal that takes ANSI escapes.</summary>
    public static BatchProgressDisplay ForConsole(TextWriter error)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var live = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && TakesEscapes(Environment.GetEnvironmentVariable("TERM"));
        return new BatchProgressDisplay(error, live, () => watch.Elapsed);
    }

    /// <summary>
    /// Whether a terminal of type <paramref name="term"/> redraws a line from the bar's escapes: not a dumb
    /// one (Emacs' shell, some CI consoles), which would show them as text (found by fuzzing).
    /// </summary>
    internal static bool TakesEscapes(string? term) => !string.Equals(term, "dumb", StringComparison.Ordinal);

    public void Started(int number, int total, string name, string phase)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            if (_startedAt is null && number > _done)
            {
                _startedAt = clock();
            }
            if (live)
            {
                error.Write(_clearLine + Bar(number - 1, total) + $" {name}: tuning with {phase}..." + Left(total));
                error.Flush();
            }
        }
    }

    public void Finished(int number, int total, BatchResult result)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _done = number;
            if (result.SameAs is null && !result.BadInput && _startedAt is { } started)
            {
                _tuned++;
                _tuningTime += clock() - started;
            }
            _startedAt = null;
            var line = $"[{number}/{total}] {result.Entry.Name}: {Outcome(result)}";
            if (live)
            {
                error.WriteLine(_clearLine + line);
                if (number < total)
                {
                    error.Write(Bar(number, total) + Left(total));
                }
                error.Flush();
            }
            else
            {
                error.WriteLine(line + $"  ({Clock(clock())} elapsed{Left(total)})");
            }
        }
    }

    /// <summary>Ends the display (an interrupted batch): clears the live bar, and nothing is drawn after.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (live && !_stopped)
            {
                error.Write(_clearLine);
                error.Flush();
            }
            _stopped = true;
        }
    }

    /// <summary>", about 3m10s left" from the mean time per tuned operator; "" until one is done or when none is left.</summary>
    private string Left(int total)
    {
        var remaining = total - _done;
        if (_tuned == 0 || remaining <= 0)
        {
            return "";
        }
        var perOperator = _tuningTime / _tuned;
        // The operator in flight has already used part of its share.
        var inFlight = _startedAt is { } started ? clock() - started : TimeSpan.Zero;
        var left = perOperator * remaining - (inFlight < perOperator ? inFlight : perOperator);
        return $", about {Clock(left)} left";
    }

    private string Bar(int done, int total)
    {
        var filled = total == 0 ? _barWidth : done * _barWidth / total;
        return $"[{new string('#', filled)}{new string('.', _barWidth - filled)}] {done}/{total} {Clock(clock())}";
    }

    /// <summary>"42s", "3m05s", "1h02m".</summary>
    public static string Clock(TimeSpan time)
    {
        var seconds = (long)Math.Max(0, Math.Round(time.TotalSeconds));
        return seconds < 60 ? $"{seconds}s"
            : seconds < 3600 ? $"{seconds / 60}m{seconds % 60:00}s"
            : $"{seconds / 3600}h{seconds % 3600 / 60:00}m";
    }

    private static string Outcome(BatchResult result)
    {
        var same = result.SameAs is not null ? $" (same operator as {result.SameAs})" : "";
        if (result.BestMs is { } ms)
        {
            var reused = result.FromRecords > 0 ? $", {result.FromRecords} from records" : "";
            var speed = result.BestReport?.BestPerformance is { } p
                ? (p.MemoryBound ? $", {NumberText.Significant(p.GBs)} GB/s" : $", {NumberText.Significant(p.Gflops)} GFLOP/s")
                : "";
            return $"{NumberText.Ms(ms)} ms by {result.BestPolicy}{speed} (verified{reused}){same}";
        }
        return $"{(result.BadInput ? "bad input" : "failed")}: {result.Error}{same}";
    }
}
