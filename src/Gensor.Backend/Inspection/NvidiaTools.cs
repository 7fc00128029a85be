using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gensor.Backend.Inspection;

/// <summary>
/// NVIDIA's offline tools in one folder: ptxas (PTX to cubin, with its resource
/// report), cuobjdump (the cubin's SASS) and nvdisasm, which cuobjdump runs from
/// its own folder to disassemble. They run without a GPU or a driver.
/// </summary>
/// <param name="Directory">The folder that holds them.</param>
/// <param name="Release">The CUDA release they belong to (11.8, 12.4, ...).</param>
/// <param name="Origin">Where they were found: <c>GENSOR_NVIDIA_TOOLS</c>, <c>CUDA_PATH</c>, <c>PATH</c> or <c>project</c>.</param>
public sealed partial record NvidiaTools(string Directory, Version Release, string Origin)
{
    /// <summary>The project's own copy, written by <c>scripts/install-nvidia-tools.sh</c>.</summary>
    public const string ProjectFolder = ".tools/cuda/bin";

    /// <summary>What a user is told when no tools are found.</summary>
    public const string InstallHint =
        "run scripts/install-nvidia-tools.sh (Debian's nvidia-cuda-toolkit into .tools/cuda/bin), or install a CUDA toolkit and set CUDA_PATH";

    private static readonly Lazy<(NvidiaTools? Tools, string Missing)> _located = new(() =>
        Locate(ToolSearch.FromEnvironment()));

    public string Ptxas => Path.Combine(Directory, Executable("ptxas"));

    public string Cuobjdump => Path.Combine(Directory, Executable("cuobjdump"));

    public string Nvdisasm => Path.Combine(Directory, Executable("nvdisasm"));

    /// <summary>The newest PTX ISA this ptxas reads, or null when its release is newer than Gensor knows (it then reads what ILGPU writes).</summary>
    public Version? MaxPtxIsa => PtxIsa.MaxReadBy(Release);

    /// <summary>
    /// The tools on this machine, looked up once per process: <c>GENSOR_NVIDIA_TOOLS</c>
    /// when set; otherwise the newest of a CUDA toolkit at <c>CUDA_PATH</c>, ptxas on
    /// <c>PATH</c> and the project's <c>.tools/cuda/bin</c>. On failure,
    /// <paramref name="missing"/> says what was searched and how to install them.
    /// </summary>
    public static bool TryFind([NotNullWhen(true)] out NvidiaTools? tools, out string missing)
    {
        (tools, missing) = _located.Value;
        return tools is not null;
    }

    /// <summary>Looks for the tools where <paramref name="search"/> says, uncached.</summary>
    public static (NvidiaTools? Tools, string Missing) Locate(ToolSearch search)
    {
        if (search.Explicit is { } folder)
        {
            return Probe(folder, "GENSOR_NVIDIA_TOOLS") is { } chosen
                ? (chosen, "")
                : (null, $"GENSOR_NVIDIA_TOOLS={folder} does not hold a working ptxas, cuobjdump and nvdisasm; point it at a folder that does, or unset it and {InstallHint}");
        }
        var found = search.Candidates()
            .Select(candidate => Probe(candidate.Folder, candidate.Origin))
            .OfType<NvidiaTools>()
            .ToList();
        return Newest(found) is { } newest
            ? (newest, "")
            : (null, $"NVIDIA's ptxas, cuobjdump and nvdisasm were not found (searched CUDA_PATH, PATH and {ProjectFolder}); {InstallHint}");
    }

    /// <summary>The newest release among <paramref name="found"/>; the first of equals, so the search order breaks ties.</summary>
    public static NvidiaTools? Newest(IReadOnlyList<NvidiaTools> found)
    {
        NvidiaTools? best = null;
        foreach (var tools in found)
        {
            if (best is null || tools.Release > best.Release)
            {
                best = tools;
            }
        }
        return best;
    }

    /// <summary>
    /// Reads the release from <c>ptxas --version</c>
    /// ("Cuda compilation tools, release 11.8, V11.8.89"); null when it is not there.
    /// </summary>
    public static Version? ParseRelease(string versionText)
    {
        var match = ReleasePattern().Match(versionText);
        return match.Success
            ? new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    private static NvidiaTools? Probe(string folder, string origin)
    {
        var ptxas = Path.Combine(folder, Executable("ptxas"));
        if (!File.Exists(ptxas) || !File.Exists(Path.Combine(folder, Executable("cuobjdump"))) || !File.Exists(Path.Combine(folder, Executable("nvdisasm"))))
        {
            return null;
        }
        try
        {
            var run = ToolProcess.Run(ptxas, "--version");
            return run.ExitCode == 0 && ParseRelease(run.Output) is { } release
                ? new NvidiaTools(Path.GetFullPath(folder), release, origin)
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Present but not runnable here (another platform's binary, no execute bit).
            return null;
        }
    }

    private static string Executable(string name) => OperatingSystem.IsWindows() ? name + ".exe" : name;

    [GeneratedRegex(@"release (\d+)\.(\d+)")]
    private static partial Regex ReleasePattern();
}
