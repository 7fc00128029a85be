using System.Text;
using Gensor.Diagnostics;

namespace Gensor.Files;

/// <summary>
/// Reads a text file a user names (a spec, a suite, a profile, a records file)
/// so that no such name can hang or exhaust the process: a directory, a missing
/// file, a FIFO nobody writes to, an endless device such as <c>/dev/zero</c>,
/// a binary or UTF-16 file are each refused with one error that names the path.
/// A pipe that does deliver text (<c>&lt;(cat spec.json)</c>) is read like a file.
/// </summary>
public static class InputFile
{
    /// <summary>How long opening may block: opening a FIFO waits for a writer, which may never come.</summary>
    public static TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The whole file as text.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file should be, for messages (<c>spec file</c>).</param>
    /// <param name="maxBytes">The most it may hold; more is refused before it is all read.</param>
    /// <exception cref="GensorException">BadInput, with a message starting with the path.</exception>
    public static string ReadText(string path, string what, long maxBytes)
    {
        var shown = Printable.Text(path);
        if (Directory.Exists(path))
        {
            throw GensorException.BadInput($"{shown}: is a directory, not a {what}");
        }
        if (!File.Exists(path))
        {
            throw GensorException.BadInput($"{shown}: no such file");
        }
        byte[] bytes;
        try
        {
            using var stream = Open(path, shown, what);
            bytes = ReadAtMost(stream, maxBytes, shown, what);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new GensorException(GensorError.BadInput($"{shown}: cannot read: {Printable.Text(exception.Message)}"), exception);
        }
        if (bytes.LongLength > maxBytes)
        {
            throw GensorException.BadInput($"{shown}: larger than {Size(maxBytes)}, too large for a {what} (or an endless device)");
        }
        return Decode(bytes, shown, what);
    }

    /// <summary>Text as a strict UTF-8 decoder sees it; a UTF-8 byte order mark is dropped.</summary>
    /// <exception cref="GensorException">BadInput: the bytes are UTF-16, binary or not UTF-8.</exception>
    public static string Decode(byte[] bytes, string shownPath, string what)
    {
        if (StartsUtf16(bytes))
        {
            throw GensorException.BadInput($"{shownPath}: is UTF-16 text; a {what} must be UTF-8");
        }
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw GensorException.BadInput($"{shownPath}: holds NUL bytes: binary, not a {what}");
        }
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException)
        {
            throw GensorException.BadInput($"{shownPath}: is not UTF-8 text, so not a {what}");
        }
    }

    private static bool StartsUtf16(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF));

    /// <summary>A size for people: <c>4 GiB</c>, <c>16 MiB</c>, <c>900 bytes</c>.</summary>
    public static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#} MiB"
        : bytes >= 1L << 10 ? $"{bytes / (double)(1L << 10):0.#} KiB"
        : $"{bytes} bytes";

    private static FileStream Open(string path, string shown, string what)
    {
        // Opening a FIFO blocks until someone opens it for writing; do it aside and give up after a while.
        // On a thread of its own: a busy thread pool (a batch compiling kernels) must not make an ordinary file time out.
        var open = Task.Factory.StartNew(
            () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!open.Wait(OpenTimeout))
            {
                // If a writer turns up later, the stream is opened and dropped.
                open.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
                throw GensorException.BadInput($"{shown}: nothing to read after {OpenTimeout.TotalSeconds:0} s (a FIFO with no writer?), not a {what}");
            }
        }
        catch (AggregateException exception) when (exception.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }
        return open.Result;
    }

    private static byte[] ReadAtMost(Stream stream, long maxBytes, string shown, string what)
    {
        // One byte past the limit tells "too large" from "exactly the limit" without reading an endless device to its end.
        var buffer = new MemoryStream();
        var utf16 = false;
        var chunk = new byte[81920];
        while (buffer.Length <= maxBytes)
        {
            var read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length));
            if (read == 0)
            {
                break;
            }
            // No text holds a NUL: /dev/zero and binary files stop at their first chunk, not at the
            // size limit (a records file read 1 GiB of /dev/zero first: 23 s; found by fuzzing).
            // UTF-16 is full of NULs: Decode names it once read.
            utf16 = buffer.Length == 0 ? StartsUtf16(chunk.AsSpan(0, read)) : utf16;
            if (!utf16 && Array.IndexOf(chunk, (byte)0, 0, read) >= 0)
            {
                throw GensorException.BadInput($"{shown}: holds NUL bytes: binary, not a {what}");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
