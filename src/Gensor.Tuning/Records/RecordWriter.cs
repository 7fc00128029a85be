using System.Text;

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
/// </summary>
public sealed class RecordWriter(string path)
{
    private static readonly TimeSpan _lockTimeout = TimeSpan.FromSeconds(60);

    public string Path { get; } = path;

    /// <summary>Appends <paramref name="record"/> as one line.</summary>
    /// <exception cref="IOException">The lock was not had within a minute, or the write failed.</exception>
    public void Append(TuningRecord record)
    {
        using var held = AcquireLock();
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

    private FileStream AcquireLock()
    {
        var lockPath = Path + ".lock";
        var deadline = DateTime.UtcNow + _lockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another writer holds it for one line: a short, jittered wait keeps writers from retrying in step.
                Thread.Sleep(Random.Shared.Next(1, 10));
            }
        }
    }
}
