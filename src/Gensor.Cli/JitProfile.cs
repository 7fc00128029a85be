namespace Gensor.Cli;

/// <summary>
/// Multi-core JIT for the command line (<see cref="System.Runtime.ProfileOptimization"/>): each run of a
/// command records which methods the JIT compiled, and the next run of the same command compiles them
/// on a background thread before they are needed. Every gensor command is a short process whose time
/// goes mostly to compiling code once: a GPT-2 GEMM's construction for h100 takes about 23 ms warm but
/// 190-330 ms in a fresh process. With the profile the second core compiles ahead, and the fresh-process
/// construction and the whole process both took about a fifth less (bench <c>cold</c>, README).
/// A profile only ever changes when code is compiled, never what it does, so a stale or damaged file
/// costs time at most; where the folder cannot be written, gensor runs as it would without it.
/// </summary>
internal static class JitProfile
{
    /// <summary>The folder for the profiles, or <c>off</c> to record and use none.</summary>
    public const string Variable = "GENSOR_JIT_PROFILE";

    /// <summary>Starts recording (and playing back the last recording) for the command in <paramref name="args"/>.</summary>
    public static void Start(string[] args)
    {
        if (FileFor(args, Environment.GetEnvironmentVariable(Variable), DefaultFolder()) is not { } file)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            // An empty profile holds nothing to play back, and something that is not a file there (a FIFO,
            // /dev/null, which also read as empty) would block the runtime's read or write of it: remove
            // the entry and let the runtime make a file (a FIFO there hung explain; found by fuzzing).
            if (new FileInfo(file) is { Exists: true, Length: 0 })
            {
                File.Delete(file);
            }
            System.Runtime.ProfileOptimization.SetProfileRoot(Path.GetDirectoryName(file)!);
            System.Runtime.ProfileOptimization.StartProfile(Path.GetFileName(file));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A read-only home or a full disk: the profile is an optimisation, the command still runs.
        }
    }

    /// <summary>
    /// The profile file for a command line: one per command (their code differs), none for the hidden
    /// worker that --isolate starts many of at once, none when <paramref name="setting"/> is <c>off</c>.
    /// </summary>
    public static string? FileFor(string[] args, string? setting, string? defaultFolder)
    {
        if (string.Equals(setting, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var folder = string.IsNullOrEmpty(setting) ? defaultFolder : setting;
        var command = args.Length > 0 && args[0] is [>= 'a' and <= 'z', ..] && args[0].All(c => c is (>= 'a' and <= 'z') or '-') ? args[0] : "gensor";
        return folder is null || command == "measure-worker" ? null : Path.Combine(folder, command + ".jitprofile");
    }

    private static string? DefaultFolder()
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return data.Length == 0 ? null : Path.Combine(data, "gensor", "jit");
    }
}
