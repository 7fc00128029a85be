using System.Text;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Records;

/// <summary>
/// Reads a records file. A line that is not a whole record (the torn last line
/// of a killed run, or any damaged line) is skipped with a warning, never fatal:
/// the records before and after it are still good.
/// </summary>
public static class RecordReader
{
    /// <summary>Every whole record in <paramref name="path"/>, in file order; none when the file does not exist.</summary>
    public static IReadOnlyList<TuningRecord> Read(string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            text = reader.ReadToEnd();
        }
        var records = new List<TuningRecord>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (TuningRecord.TryParse(line) is { } record)
            {
                records.Add(record);
            }
            else
            {
                logger.LogWarning("{Path}:{Line}: skipped a line that is not a whole record (torn by a killed run?)", path, i + 1);
            }
        }
        return records;
    }
}
