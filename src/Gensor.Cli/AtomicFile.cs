using Gensor.Diagnostics;

namespace Gensor.Cli;

/// <summary>
/// Writes output files so that readers see either the old content or the whole
/// new one, and a set of files (an emit's kernel and launch.json) all or none;
/// and checks output paths before a command does its work, so that a path that
/// cannot be written is bad input up front, not a failure after minutes of tuning.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes one file through a temporary file and a rename; the temporary file never outlives a failure.</summary>
    public static void Write(string path, string content) => WriteAll([(path, content)]);

    /// <summary>Writes one binary file (a cubin) as <see cref="Write(string, string)"/> does.</summary>
    public static void Write(string path, byte[] content) => WriteAll([(path, content)]);

    /// <summary>Writes text files (UTF-8, no BOM) all or none; see <see cref="WriteAll(IReadOnlyList{ValueTuple{string, byte[]}})"/>.</summary>
    public static void WriteAll(IReadOnlyList<(string Path, string Content)> files) =>
        WriteAll(files.Select(f => (f.Path, new System.Text.UTF8Encoding(false).GetBytes(f.Content))).ToArray());

    /// <summary>
    /// Writes every file or none: all contents go to temporary files first, then
    /// each replaces its target by one rename, so a target is never missing, even
    /// if the process is killed (it is then the old or the new file; of a set, some
    /// may be new). If anything fails, the targets already replaced get their old
    /// content back (from a copy taken before) and every temporary file is removed,
    /// then the exception goes on.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, byte[] Content)> files)
    {
        var suffix = "." + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        var temporaries = files.Select(f => f.Path + ".tmp" + suffix).ToArray();
        var backups = files.Select(f => f.Path + ".old" + suffix).ToArray();
        var replaced = new List<int>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                File.WriteAllBytes(temporaries[i], files[i].Content);
            }
            for (var i = 0; i < files.Count; i++)
            {
                // A copy, not a rename, keeps the old content for a rollback: renaming it away left a moment
                // without the file, and a kill then lost it (found by fuzzing with delayed renames).
                if (File.Exists(files[i].Path))
                {
                    File.Copy(files[i].Path, backups[i]);
                }
                replaced.Add(i);
                File.Move(temporaries[i], files[i].Path, overwrite: true);
            }
        }
        catch
        {
            foreach (var i in Enumerable.Reverse(replaced))
            {
                TryDelete(files[i].Path, onlyIf: !File.Exists(temporaries[i]));
                if (File.Exists(backups[i]))
                {
                    File.Move(backups[i], files[i].Path, overwrite: true);
                }
            }
            foreach (var temporary in temporaries)
            {
                TryDelete(temporary, onlyIf: true);
            }
            throw;
        }
        foreach (var backup in backups)
        {
            TryDelete(backup, onlyIf: true);
        }
    }

    /// <summary>
    /// Checks that <paramref name="directory"/> can hold <paramref name="names"/>:
    /// the path is not empty and is not a file; none of the names is taken by a
    /// directory; the nearest existing ancestor is a directory this process can
    /// create files in. Nothing is left behind.
    /// </summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static void CheckDirectory(string directory, IEnumerable<string> names, string option)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw GensorException.BadInput($"{option}: the path is empty");
        }
        var shown = Printable.Text(directory);
        if (File.Exists(directory))
        {
            throw GensorException.BadInput($"{option} {shown}: is a file, not a directory");
        }
        foreach (var name in names)
        {
            var target = Path.Combine(directory, name);
            if (Directory.Exists(target))
            {
                throw GensorException.BadInput($"{option} {shown}: {name} is a directory, so it cannot be written");
            }
        }
        CheckWritable(Path.GetFullPath(directory), option, shown);
    }

    /// <summary>Checks that <paramref name="path"/> can be written as a file (see <see cref="CheckDirectory"/>).</summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static void CheckFile(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw GensorException.BadInput($"{option}: the path is empty");
        }
        var shown = Printable.Text(path);
        if (Directory.Exists(path))
        {
            throw GensorException.BadInput($"{option} {shown}: is a directory, not a file");
        }
        var parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(parent))
        {
            throw GensorException.BadInput($"{option} {shown}: the directory {Printable.Text(parent)} does not exist");
        }
        CheckWritable(parent, option, shown);
    }

    private static void CheckWritable(string fullPath, string option, string shown)
    {
        // The nearest ancestor that exists decides: a file there means the directory can never be made.
        var existing = fullPath;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw GensorException.BadInput($"{option} {shown}: {Printable.Text(existing)} is a file, not a directory");
            }
            existing = Path.GetDirectoryName(existing) ?? throw GensorException.BadInput($"{option} {shown}: no part of the path exists");
        }
        var probe = Path.Combine(existing, $".gensor-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw GensorException.BadInput($"{option} {shown}: cannot create files in {Printable.Text(existing)}: {Printable.Text(exception.Message)}");
        }
        finally
        {
            TryDelete(probe, onlyIf: true);
        }
    }

    private static void TryDelete(string path, bool onlyIf)
    {
        try
        {
            if (onlyIf && File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Cleanup after a failure must not hide the failure.
        }
    }
}
