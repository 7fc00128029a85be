using System.Text;
using Gensor.Diagnostics;
using Gensor.Files;

namespace Gensor.Tuning.Records;

/// <summary>
/// Appends records to a records file (JSON Lines), safely against crashes and
/// against other writers. Each record is one write of a complete line to a
/// file opened for append, flushed to disk before the next: a process killed
/// mid-run leaves every earlier line whole and at most one torn last line.
/// Writers exclude each other with an exclusive open of the sidecar file
/// <c>FILE.lock</c> (on Linux and macOS .NET takes an advisory <c>flock</c> for
/// <see cref="FileShare.None"/>, which also excludes other handles in the same
/// process). A sidecar is used rather than locking the records file itself so
/// that readers, which open it shared, never wait. The lock file is left in
/// place: deleting it would let a waiting writer lock a file no one else sees.
/// The holder of the lock writes who it is to <c>FILE.lock.owner</c> (the lock
/// file itself cannot be read while it is held), so a writer that waits too
/// long can say who holds it.
/// </summary>
public sealed class RecordWriter(string path)
{
    private static readonly TimeSpan _lockTimeout = TimeSpan.FromSeconds(60);

    public string Path { get; } = path;

    /// <summary>Appends <paramref name="record"/> as one line.</summary>
    /// <exception cref="GensorException">
    /// Internal: the lock was not had within a minute (the message says who holds it), or the
    /// file could not be written (a full disk, a folder removed during the run).
    /// </exception>
    public void Append(TuningRecord record)
    {
        try
        {
            using var held = AcquireLock();
            WriteOwner();
            var line = record.ToJsonLine() + "\n";
            // A writer killed mid-line left no newline: start on a fresh line so the
            // torn one stays alone (the reader skips it) and this one stays whole.
            if (EndsMidLine())
            {
                line = "\n" + line;
            }
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The environment, not the input: a full disk, a folder removed or made read-only during the run.
            // A torn line it may leave is skipped by the reader and set apart by the next append.
            throw new GensorException(new GensorError(ErrorKind.Internal,
                $"{Printable.Text(Path)}: could not append a record: {Printable.Text(Reason(exception))}; the records before it are whole " +
                "(run again with the same --records once it can be written: recorded candidates are not measured twice)"), exception);
        }
    }

    /// <summary>The system's reason without the path .NET appends to it (the message names the file already).</summary>
    private static string Reason(Exception exception)
    {
        var message = exception.Message;
        var quote = message.IndexOf(" : '", StringComparison.Ordinal);
        return (quote > 0 ? message[..quote] : message).TrimEnd('.');
    }

    /// <summary>
    /// Holds the writers' lock until disposed, for a command that replaces the whole file
    /// (<c>records merge -o</c>): a line appended between its read and its rename would be lost.
    /// </summary>
    /// <exception cref="GensorException">The lock was not had within <see cref="LockTimeout"/>.</exception>
    public IDisposable Lock()
    {
        var held = AcquireLock();
        WriteOwner();
        return held;
    }

    private bool EndsMidLine()
    {
        if (!File.Exists(Path))
        {
            return false;
        }
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return false;
        }
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    /// <summary>How long a writer waits for the lock before it gives up (a test may shorten it).</summary>
    public TimeSpan LockTimeout { get; init; } = _lockTimeout;

    // Beside the file a link names, not the link: writers through a link and through the file share one lock.
    // Resolved once: the lock is taken for every record appended.
    private string LockPath => _lockPath ??= OutputPath.ThroughLinks(Path) + ".lock";

    private string? _lockPath;

    private string OwnerPath => LockPath + ".owner";

    private FileStream AcquireLock()
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException exception) when (IsHeld(exception))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new GensorException(new GensorError(ErrorKind.Internal,
                        $"{Printable.Text(Path)}: the records file has been locked for {LockTimeout.TotalSeconds:0} s by {Owner()}; " +
                        "this measurement was not recorded (run again when it is free: recorded candidates are not measured twice)"), exception);
                }
                // Another writer holds it for one line: a short, jittered wait keeps writers from retrying in step.
                Thread.Sleep(Random.Shared.Next(1, 10));
            }
        }
    }

    // A held lock is a plain IOException; a missing directory, a path too long or
    // a read-only place are its subclasses or another type, and waiting would not help.
    private static bool IsHeld(IOException exception) => exception.GetType() == typeof(IOException);

    private void WriteOwner()
    {
        var process = Environment.ProcessId;
        var command = string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Take(2));
        try
        {
            File.WriteAllText(OwnerPath, $"pid {process} on {Environment.MachineName} ({command}), since {DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'}\n");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Only a courtesy to a writer that waits: never a reason to lose a record.
        }
    }

    private string Owner()
    {
        try
        {
            var owner = File.ReadAllText(OwnerPath).Trim();
            if (owner.Length > 0)
            {
                return $"{Printable.Text(owner)} (the last writer that recorded itself in {Printable.Text(System.IO.Path.GetFileName(OwnerPath))})";
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
        return "a process that did not record who it is (not gensor?)";
    }
}
