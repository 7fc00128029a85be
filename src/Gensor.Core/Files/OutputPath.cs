using System.Runtime.InteropServices;
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

    /// <summary>
    /// What an existing <paramref name="path"/> (through its links) is when it is neither a regular file nor a
    /// directory: "a character device", "a block device", "a FIFO" or "a socket"; else null (absent, a regular file, a
    /// directory, or a system where it cannot be told). An output written through a temporary file and a rename
    /// replaced /dev/null itself with a regular file (found by fuzzing), so outputs refuse such paths.
    /// .NET reports every such entry as a normal file, so on Linux this asks statx, whose layout is the same on
    /// every architecture.
    /// </summary>
    public static string? SpecialFileKind(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var buffer = new byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception exception) when (exception is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        // stx_mode: 16 bits at byte 28; its file type bits.
        return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch
        {
            0x2000 => "a character device",
            0x6000 => "a block device",
            0x1000 => "a FIFO",
            0xC000 => "a socket",
            _ => null,
        };
    }

    private const int AtCurrentDirectory = -100;

    private const uint StatxType = 1;

    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    /// <summary>
    /// <paramref name="directory"/> as a full path with every symbolic link on the way resolved (as
    /// realpath does, where the parts exist), so that two names of one folder (a link to it) are one:
    /// output locks are taken by it (two emits through a folder and a link to it mixed their files;
    /// found by fuzzing). A loop of links leaves the path as it is.
    /// </summary>
    public static string RealDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        for (var hops = 0; hops < MaxLinkHops; hops++)
        {
            var root = Path.GetPathRoot(full) ?? "/";
            var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var current = root;
            string? resolved = null;
            for (var i = 0; i < parts.Length && resolved is null; i++)
            {
                var next = Path.Combine(current, parts[i]);
                string? target = null;
                try
                {
                    target = new DirectoryInfo(next).LinkTarget;
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                }
                if (target is not null)
                {
                    resolved = Path.Combine([Path.GetFullPath(target, current), .. parts[(i + 1)..]]);
                }
                current = next;
            }
            if (resolved is null)
            {
                return full;
            }
            full = resolved;
        }
        return Path.GetFullPath(directory);
    }

    /// <summary>Links followed before a path is taken as a loop (Linux's limit for one lookup).</summary>
    private const int MaxLinkHops = 40;

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
