using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Diagnostics;
using Gensor.Files;

namespace Gensor.Tuning.Records;

/// <summary>
/// Checks that a path can take records before a run does any work: its
/// directory exists, it is not a directory itself, and if it exists it is a
/// records file, so that a spec, a UTF-16 file or anything else named by mistake
/// is never appended to (which would spoil it, and lose the measurements).
/// </summary>
public static class RecordFile
{
    /// <summary>The checks that need no reading: refuses an empty path, a directory, a FIFO, device or socket, a missing directory.</summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/> and the path.</exception>
    public static void CheckPath(string path, string option)
    {
        if (path.Length == 0)
        {
            throw GensorException.BadInput($"{option}: the path is empty");
        }
        // The longest name a records writer makes is the lock's owner file beside it (merge's temporary file is shorter).
        OutputPath.CheckLength([path + ".lock.owner"], option);
        var shown = Printable.Text(path);
        if (Directory.Exists(path))
        {
            throw GensorException.BadInput($"{option} {shown}: is a directory, not a records file");
        }
        if (OutputPath.SpecialFileKind(path) is { } kind)
        {
            // A pipe (<(...)) was read, tuned for, then failed at the first append (probed by hand).
            throw GensorException.BadInput($"{option} {shown}: is {kind}, not a records file: records are read, then appended to, which needs a regular file");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw GensorException.BadInput($"{option} {shown}: the directory {Printable.Text(directory)} does not exist");
        }
    }

    /// <summary>
    /// The text of an existing records file that may be appended to (empty when
    /// the file does not exist yet).
    /// </summary>
    /// <exception cref="GensorException">BadInput: not a records file, or not writable.</exception>
    public static string ReadForAppend(string path, string option) => ReadWritable(path, option, "append to");

    /// <summary>Checks that <paramref name="path"/> may be replaced by a records file: absent, or a records file that can be written.</summary>
    /// <exception cref="GensorException">BadInput: not a records file, or not writable.</exception>
    public static void CheckReplaceable(string path, string option) => ReadWritable(path, option, "overwrite");

    private static string ReadWritable(string path, string option, string verb)
    {
        CheckPath(path, option);
        if (!File.Exists(path))
        {
            return "";
        }
        var shown = Printable.Text(path);
        var text = RecordReader.ReadText(path);
        if (!IsRecordsText(text))
        {
            throw GensorException.BadInput($"{option} {shown}: is not a records file (no line of it is a record); refusing to {verb} it");
        }
        try
        {
            using var writable = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw GensorException.BadInput($"{option} {shown}: cannot be written: {Printable.Text(exception.Message)}");
        }
        return text;
    }

    /// <summary>
    /// Whether text is what record writers leave: nothing, or at least one line
    /// that is a JSON object with a record's keys (valid or not: a forged record
    /// is still a records file, and is skipped when read), or only the torn
    /// beginning of a first record.
    /// </summary>
    public static bool IsRecordsText(string text)
    {
        var lines = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
        if (lines.Length == 0)
        {
            return true;
        }
        foreach (var line in lines)
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject json && json.ContainsKey("op_hash") && json.ContainsKey("schedule"))
                {
                    return true;
                }
            }
            catch (JsonException)
            {
            }
        }
        // A writer killed during the very first append leaves only part of a line.
        return lines.Length == 1 && !text.EndsWith('\n') && lines[0].StartsWith("{\"op\":", StringComparison.Ordinal);
    }
}
