namespace Gensor.Backend.Inspection;

/// <summary>
/// Where to look for NVIDIA's tools: an explicit folder that overrides all else,
/// a CUDA toolkit's root, the folders of <c>PATH</c>, and the folders above which
/// the project's <c>.tools/cuda/bin</c> may lie.
/// </summary>
/// <param name="Explicit">A folder to use and nothing else (<c>GENSOR_NVIDIA_TOOLS</c>).</param>
/// <param name="CudaPath">A CUDA toolkit's root (<c>CUDA_PATH</c>), whose <c>bin</c> holds the tools.</param>
/// <param name="PathFolders">The folders of <c>PATH</c>, in order.</param>
/// <param name="ProjectRoots">Folders to walk up from looking for <c>.tools/cuda/bin</c>.</param>
public sealed record ToolSearch(string? Explicit, string? CudaPath, IReadOnlyList<string> PathFolders, IReadOnlyList<string> ProjectRoots)
{
    /// <summary>
    /// This process's environment; the project's folder is looked for above the program
    /// (a build inside a clone) and above the working directory (an installed tool run in a clone).
    /// </summary>
    public static ToolSearch FromEnvironment() => new(
        NonEmpty(Environment.GetEnvironmentVariable("GENSOR_NVIDIA_TOOLS")),
        NonEmpty(Environment.GetEnvironmentVariable("CUDA_PATH")),
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries),
        WorkingDirectory() is { } working ? [AppContext.BaseDirectory, working] : [AppContext.BaseDirectory]);

    /// <summary>The working directory, or null where it was deleted under the process (an emit from it failed; found by fuzzing).</summary>
    private static string? WorkingDirectory()
    {
        try
        {
            return Environment.CurrentDirectory;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Candidate folders with where each came from, in order of preference among equal releases.</summary>
    public IEnumerable<(string Folder, string Origin)> Candidates()
    {
        if (CudaPath is not null)
        {
            yield return (Path.Combine(CudaPath, "bin"), "CUDA_PATH");
        }
        foreach (var folder in PathFolders)
        {
            yield return (folder, "PATH");
        }
        foreach (var root in ProjectRoots)
        {
            for (var directory = new DirectoryInfo(root); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, NvidiaTools.ProjectFolder);
                if (Directory.Exists(candidate))
                {
                    yield return (candidate, "project");
                    break;
                }
            }
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
