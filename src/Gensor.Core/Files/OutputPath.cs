using Gensor.Diagnostics;

namespace Gensor.Files;

/// <summary>Where writing to a path a user names really lands.</summary>
public static class OutputPath
{
    /// <summary>
    /// The file a write to <paramref name="path"/> lands in: a symbolic link's final target, as a
    /// shell's redirection writes it. Replacing by rename onto the link itself would swap the link
    /// for a file and leave its target old; a lock beside the link would not be the target's.
    /// </summary>
    public static string ThroughLinks(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Not there yet (the usual case for an output), or not readable: the write itself will say.
            return path;
        }
    }

    /// <summary>Whether two paths name one file (through symbolic links): an output that would replace an input.</summary>
    public static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(ThroughLinks(a)), Path.GetFullPath(ThroughLinks(b)), StringComparison.Ordinal);

    // In bytes as the system counts them; the message gives lengths, since the path itself would fill a screen.
    private const int MaxPathBytes = 4095;
    private const int MaxNameBytes = 255;

    /// <summary>
    /// Checks that each of <paramref name="paths"/> (an output and the longest name written beside it)
    /// is within Linux's limits: 4096 bytes for a whole path, 255 for one name.
    /// </summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static void CheckLength(IEnumerable<string> paths, string option)
    {
        foreach (var path in paths)
        {
            string full;
            try
            {
                full = Path.GetFullPath(path);
            }
            catch (PathTooLongException)
            {
                full = path;
            }
            var bytes = System.Text.Encoding.UTF8.GetByteCount(full);
            var longestName = full.Split('/').Max(name => System.Text.Encoding.UTF8.GetByteCount(name));
            if (bytes > MaxPathBytes || longestName > MaxNameBytes)
            {
                throw GensorException.BadInput($"{option}: the path is too long ({bytes} bytes with the file names written there, the longest name {longestName}; the system allows {MaxPathBytes + 1} in all and {MaxNameBytes} per name)");
            }
        }
    }
}
