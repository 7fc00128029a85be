using Gensor.Diagnostics;
using Gensor.Files;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Records;

/// <summary>
/// Reads a records file. A line that is not a whole, valid record (the torn
/// last line of a killed run, a damaged line, a record whose figures cannot be
/// true) is skipped with one warning naming the file, the line and why, never
/// fatal: the records before and after it are still good.
/// </summary>
public static class RecordReader
{
    /// <summary>The largest records file read (a record is about 500 bytes: two million of them).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Every valid record in <paramref name="path"/>, in file order; none when the file does not exist.</summary>
    /// <exception cref="GensorException">BadInput: the path is a directory, a FIFO with no writer, binary, UTF-16 or too large.</exception>
    public static IReadOnlyList<TuningRecord> Read(string path, ILogger logger) =>
        File.Exists(path) || Directory.Exists(path) ? Parse(ReadText(path), path, logger) : [];

    /// <summary>Every valid record in <paramref name="path"/>, which must exist.</summary>
    /// <exception cref="GensorException">BadInput: no such file, or as <see cref="Read"/>.</exception>
    public static IReadOnlyList<TuningRecord> ReadExisting(string path, ILogger logger) => Parse(ReadText(path), path, logger);

    /// <summary>The records of <paramref name="text"/>, read from <paramref name="path"/> (named in the warnings).</summary>
    public static IReadOnlyList<TuningRecord> Parse(string text, string path, ILogger logger)
    {
        var records = new List<TuningRecord>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (TuningRecord.TryParse(line, out var problem) is { } record)
            {
                records.Add(record);
            }
            else
            {
                logger.LogWarning("{Path}:{Line}: skipped a record: {Problem}", path, i + 1, problem);
            }
        }
        return records;
    }

    /// <summary>The file's text, read so that no path can hang or exhaust the reader.</summary>
    public static string ReadText(string path) => InputFile.ReadText(path, "records file", MaxFileBytes);
}
