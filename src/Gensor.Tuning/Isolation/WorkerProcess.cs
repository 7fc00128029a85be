using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// A running worker process: lines to its stdin, lines from its stdout with a
/// time limit, the tail of its stderr for error messages. Disposing kills it.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string?> _lines = new();
    private readonly Queue<string> _errorTail = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        // The reader outlives Dispose (it ends when the killed worker's pipe closes),
        // so it must not throw: an exception on this thread would end the process.
        var reader = new Thread(() =>
        {
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                {
                    _lines.Add(line);
                }
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
            _lines.Add(null);
        }) { IsBackground = true };
        reader.Start();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_errorTail)
            {
                _errorTail.Enqueue(e.Data);
                while (_errorTail.Count > 5)
                {
                    _errorTail.Dequeue();
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public static WorkerProcess Start(WorkerCommand command)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {command.FileName}"));
    }

    public void Send(string line)
    {
        try
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // The worker is already gone; reading its output says so.
        }
    }

    /// <summary>The next line, or null when the worker ended its output or <paramref name="timeout"/> passed (see <see cref="Ended"/>).</summary>
    public string? ReadLine(TimeSpan timeout)
    {
        if (Ended)
        {
            return null;
        }
        if (!_lines.TryTake(out var line, timeout))
        {
            return null;
        }
        Ended = line is null;
        return line;
    }

    /// <summary>Whether the worker closed its output (it exited or crashed).</summary>
    public bool Ended { get; private set; }

    /// <summary>Why the worker stopped answering, for a failed candidate's message.</summary>
    public string Failure(TimeSpan timeout)
    {
        if (!Ended)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s (hung?); the worker process was stopped";
        }
        // Once it has exited, the parameterless wait also drains the stderr reader.
        if (_process.WaitForExit(2000))
        {
            _process.WaitForExit();
        }
        string tail;
        lock (_errorTail)
        {
            tail = string.Join(" | ", _errorTail);
        }
        var code = _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
        return $"the worker process died ({code}){(tail.Length > 0 ? ": " + tail : "")}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        // _lines is not disposed: the reader thread may still add its end marker.
    }
}
