using Gensor.Diagnostics;
using Gensor.Files;

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

    /// <summary>Writes text files (UTF-8, no BOM) all or none; see <see cref="WriteAll(IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{string})"/>.</summary>
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<(string Path, string Content)> files, IReadOnlyList<string>? removed = null) =>
        WriteAll(Utf8(files), removed);

    /// <summary>
    /// Writes every file or none: all contents go to temporary files first, then
    /// each replaces its target by one rename, so a target is never missing, even
    /// if the process is killed (it is then the old or the new file). The renames run
    /// under the directory's lock with SIGINT, SIGTERM and SIGHUP held off, so a set
    /// is never mixed with another gensor's or cut in two by Ctrl+C (only SIGKILL
    /// can leave some of a set new). <paramref name="removed"/> are files of an earlier set that this
    /// one supersedes (another kernel's files: KernelFolder): those that exist go in the same step.
    /// If anything fails, the targets already replaced or removed get their old content back (from a
    /// copy taken before) and every temporary file is removed; a file system error then becomes one
    /// bad-input error that says whether everything was put back.
    /// </summary>
    /// <returns>Those of <paramref name="removed"/> that were there and went, for the user to be told.</returns>
    /// <exception cref="GensorException">BadInput: a file could not be written.</exception>
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<(string Path, byte[] Content)> files, IReadOnlyList<string>? removed = null)
    {
        files = files.Select(f => (OutputPath.ThroughLinks(f.Path), f.Content)).ToArray();
        var suffix = Suffix();
        var temporaries = files.Select(f => f.Path + ".tmp" + suffix).ToArray();
        var backups = files.Select(f => f.Path + ".old" + suffix).ToArray();
        removed ??= [];
        var gone = new List<string>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                File.WriteAllBytes(temporaries[i], files[i].Content);
            }
            // Another gensor writing the same set at once could interleave its renames with these and leave
            // a mix (its kernel.cs beside this launch.json), and so could a Ctrl+C between two renames
            // (both found by fuzzing).
            using (LockDirectories(files.Select(f => f.Path).Concat(removed)))
            {
                SignalDeferral.Run(() => Replace(files, temporaries, backups, removed, suffix, gone));
            }
            return gone;
        }
        catch (Exception error)
        {
            foreach (var temporary in temporaries)
            {
                TryDelete(temporary, onlyIf: true);
            }
            if (error is IOException or UnauthorizedAccessException)
            {
                // Found after the work (a file this user may not replace in a shared folder): one line, and
                // whether what was there is intact.
                var restored = error is not SetNotWritten { Restored: false };
                throw GensorException.BadInput($"cannot write {string.Join(", ", files.Select(f => Printable.Text(f.Path)))}: {(error.InnerException ?? error).Message}; "
                    + (restored ? "nothing was changed" : "some files could not be put back, and their earlier content is beside them as *.old*"));
            }
            throw;
        }
    }

    /// <summary>
    /// <see cref="WriteAll(IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{string})"/> into
    /// <paramref name="folder"/>, made first where missing (its missing parents too). When nothing could be
    /// written, the folders made for it go again, so that "nothing was changed" holds (an emit on a full disk
    /// left its empty folder behind).
    /// </summary>
    /// <exception cref="GensorException">BadInput: the folder could not be made or a file could not be written.</exception>
    public static IReadOnlyList<string> WriteAllInFolder(string folder, IReadOnlyList<(string Path, byte[] Content)> files, IReadOnlyList<string>? removed = null)
    {
        var missing = new List<string>();
        for (var path = Path.GetFullPath(folder); !Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent; path = parent)
        {
            missing.Add(path);
        }
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw GensorException.BadInput($"cannot make the folder {Printable.Text(folder)}: {error.Message}");
        }
        try
        {
            return WriteAll(files, removed);
        }
        catch (GensorException)
        {
            // Deepest first, and only while empty: what another process put there meanwhile stays.
            foreach (var path in missing)
            {
                Attempt(() => Directory.Delete(path));
            }
            throw;
        }
    }

    /// <summary>Text files (UTF-8, no BOM) into a folder; see <see cref="WriteAllInFolder(string, IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{string})"/>.</summary>
    public static IReadOnlyList<string> WriteAllInFolder(string folder, IReadOnlyList<(string Path, string Content)> files, IReadOnlyList<string>? removed = null) =>
        WriteAllInFolder(folder, Utf8(files), removed);

    /// <summary>Text files' contents as UTF-8 without a byte order mark.</summary>
    private static (string Path, byte[] Content)[] Utf8(IReadOnlyList<(string Path, string Content)> files) =>
        files.Select(f => (f.Path, new System.Text.UTF8Encoding(false).GetBytes(f.Content))).ToArray();

    /// <summary>The renames of <see cref="WriteAll(IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{string})"/>; the superseded files that went are added to <paramref name="gone"/>.</summary>
    private static void Replace(IReadOnlyList<(string Path, byte[] Content)> files, string[] temporaries, string[] backups, IReadOnlyList<string> removed, string suffix, List<string> gone)
    {
        var copied = new bool[files.Count];
        var moved = new bool[files.Count];
        // A superseded file is renamed aside (the link itself where it is one), then deleted once the set is whole.
        var setAside = new List<(string Path, string Aside)>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                // A copy, not a rename, keeps the old content for a rollback: renaming it away left a moment
                // without the file, and a kill then lost it (found by fuzzing with delayed renames).
                if (File.Exists(files[i].Path))
                {
                    File.Copy(files[i].Path, backups[i]);
                    copied[i] = true;
                }
                File.Move(temporaries[i], files[i].Path, overwrite: true);
                moved[i] = true;
            }
            foreach (var path in removed)
            {
                if (Removable(path))
                {
                    var aside = path + ".old" + suffix;
                    try
                    {
                        File.Move(path, aside);
                    }
                    catch (Exception) when (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
                    {
                        // A move refused halfway (a file this user may not remove) can leave a second name
                        // beside the intact original; "nothing was changed" must hold (found by fuzzing).
                        TryDelete(aside, onlyIf: true, link: true);
                        throw;
                    }
                    setAside.Add((path, aside));
                }
            }
        }
        catch (Exception error)
        {
            // Each step of the rollback on its own: one that fails again for the reason the write did (a file
            // this user may not replace) must not stop the others (it stopped them, leaving a new kernel.cs
            // beside the old launch.json; found by fuzzing). A file that cannot be put back keeps its copy.
            var restored = true;
            foreach (var (path, aside) in Enumerable.Reverse(setAside))
            {
                restored &= Attempt(() => File.Move(aside, path));
            }
            for (var i = files.Count - 1; i >= 0; i--)
            {
                if (moved[i])
                {
                    restored &= copied[i] ? Attempt(() => File.Move(backups[i], files[i].Path, overwrite: true)) : Attempt(() => File.Delete(files[i].Path));
                }
                else if (copied[i])
                {
                    // Never replaced: the copy is not needed.
                    TryDelete(backups[i], onlyIf: true);
                }
            }
            throw new SetNotWritten(error, restored);
        }
        foreach (var backup in backups)
        {
            TryDelete(backup, onlyIf: true);
        }
        foreach (var (path, aside) in setAside)
        {
            // File.Delete removes a link itself, dangling or not.
            TryDelete(aside, onlyIf: true, link: true);
            gone.Add(path);
        }
    }

    /// <summary>A set that could not be written; <paramref name="restored"/> when every file is as it was before.</summary>
    private sealed class SetNotWritten(Exception inner, bool restored) : IOException(inner.Message, inner)
    {
        public bool Restored { get; } = restored;
    }

    private static bool Attempt(Action step)
    {
        try
        {
            step();
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>What names a write's temporary and backup files apart from another process's: also the length the path checks allow for.</summary>
    private static string Suffix() => "." + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];

    private static readonly TimeSpan _lockTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Takes the lock of every directory that holds one of <paramref name="paths"/>, in
    /// ordinal order (so two writers never wait on each other in a cycle), until disposed.
    /// The lock is a machine-wide named mutex, so nothing is left in the user's directory.
    /// </summary>
    /// <exception cref="GensorException">Internal: another process held a lock for a minute.</exception>
    internal static IDisposable LockDirectories(IEnumerable<string> paths)
    {
        var held = new DirectoryLocks();
        try
        {
            foreach (var directory in paths.Select(p => OutputPath.RealDirectory(Path.GetDirectoryName(Path.GetFullPath(p))!)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                held.Take(directory);
            }
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    private sealed class DirectoryLocks : IDisposable
    {
        private readonly List<Mutex> _mutexes = [];

        public void Take(string directory)
        {
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(directory)))[..32];
            Mutex mutex;
            try
            {
                mutex = new Mutex(false, @"Global\gensor-out-" + hash);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or WaitHandleCannotBeOpenedException)
            {
                // Another user's gensor made this lock and it cannot be shared: the files are still replaced
                // one by one whole, only not guarded against that user's writes at the same moment.
                return;
            }
            try
            {
                if (!mutex.WaitOne(_lockTimeout))
                {
                    throw new GensorException(new GensorError(ErrorKind.Internal,
                        $"{Printable.Text(directory)}: another gensor process has been writing its output there for {_lockTimeout.TotalSeconds:0} s; nothing was written"));
                }
            }
            catch (AbandonedMutexException)
            {
                // Its holder died mid-rename; the lock is this process's now, and what that one left is whole files.
            }
            catch
            {
                mutex.Dispose();
                throw;
            }
            _mutexes.Add(mutex);
        }

        public void Dispose()
        {
            foreach (var mutex in Enumerable.Reverse(_mutexes))
            {
                mutex.ReleaseMutex();
                mutex.Dispose();
            }
            _mutexes.Clear();
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
        OutputPath.CheckLength(names.Select(name => Path.Combine(directory, name + ".tmp" + Suffix())).Append(directory), option);
        var shown = Printable.Text(directory);
        if (File.Exists(directory))
        {
            throw GensorException.BadInput($"{option} {shown}: is {NotDirectory(directory)}, not a directory");
        }
        foreach (var name in names)
        {
            var target = Path.Combine(directory, name);
            if (Directory.Exists(target))
            {
                throw GensorException.BadInput($"{option} {shown}: {name} is a directory, so it cannot be written");
            }
            if (OutputPath.SpecialFileKind(target) is { } kind)
            {
                throw GensorException.BadInput($"{option} {shown}: {name} is {kind}, not a file this command can replace");
            }
            CheckLinkTarget(target, option, $"{shown}: {name}");
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
        OutputPath.CheckLength([path + ".tmp" + Suffix()], option);
        var shown = Printable.Text(path);
        if (Directory.Exists(path))
        {
            throw GensorException.BadInput($"{option} {shown}: is a directory, not a file");
        }
        if (OutputPath.SpecialFileKind(path) is { } kind)
        {
            throw GensorException.BadInput($"{option} {shown}: is {kind}, not a file this command can replace");
        }
        var parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(parent))
        {
            throw GensorException.BadInput($"{option} {shown}: the directory {Printable.Text(parent)} does not exist");
        }
        CheckLinkTarget(path, option, shown);
        CheckWritable(parent, option, shown);
    }

    /// <summary>
    /// An output that is a symbolic link is written in the file it links to (OutputPath.ThroughLinks):
    /// that file's folder must exist (a dangling link into a missing folder failed after the work).
    /// </summary>
    private static void CheckLinkTarget(string path, string option, string shown)
    {
        var target = OutputPath.ThroughLinks(path);
        if (target != path && Path.GetDirectoryName(Path.GetFullPath(target)) is { } folder && !Directory.Exists(folder))
        {
            throw GensorException.BadInput($"{option} {shown}: links to {Printable.Text(target)}, whose directory {Printable.Text(folder)} does not exist");
        }
    }

    /// <summary>
    /// What stands at <paramref name="path"/> where a directory should be, for a message: a file, or a
    /// symbolic link that leads nowhere, for which File.Exists is true too (it was called a file; found by fuzzing).
    /// </summary>
    private static string NotDirectory(string path) =>
        new FileInfo(path).LinkTarget is { } link && LeadsNowhere(path) ? $"a broken symbolic link to {Printable.Text(link)}" : "a file";

    /// <summary>Whether the link at <paramref name="path"/> ends at nothing, or in a loop of links.</summary>
    private static bool LeadsNowhere(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true) is { Exists: false };
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Whether a file of an earlier set at <paramref name="path"/> goes: a file or a link, dangling or not; a link to a directory stays, as a directory does.</summary>
    private static bool Removable(string path) => File.Exists(path) || (new FileInfo(path).LinkTarget is not null && !Directory.Exists(path));

    private static void CheckWritable(string fullPath, string option, string shown)
    {
        // The nearest ancestor that exists decides: a file there means the directory can never be made.
        var existing = fullPath;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw GensorException.BadInput($"{option} {shown}: {Printable.Text(existing)} is {NotDirectory(existing)}, not a directory");
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
            // The runtime's message names the probe, a file the user never asked for.
            throw GensorException.BadInput($"{option} {shown}: cannot create files in {Printable.Text(existing)}: {Printable.Text(exception.Message.Replace(probe, existing, StringComparison.Ordinal))}");
        }
        finally
        {
            TryDelete(probe, onlyIf: true);
        }
    }

    /// <summary>Deletes <paramref name="path"/> if <paramref name="onlyIf"/> and it exists; cleanup after a failure must not hide the failure.</summary>
    private static void TryDelete(string path, bool onlyIf, bool link = false) =>
        Attempt(() =>
        {
            if (onlyIf && (File.Exists(path) || (link && new FileInfo(path).LinkTarget is not null)))
            {
                File.Delete(path);
            }
        });
}
