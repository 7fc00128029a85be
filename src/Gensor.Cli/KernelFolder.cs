using Gensor.Diagnostics;
using Gensor.Files;

namespace Gensor.Cli;

/// <summary>
/// The files <c>emit</c> and <c>tune</c> write into an <c>--out</c> folder. Such a folder holds one
/// kernel and what describes it: emit's kernel in one language with launch.json, or tune's kernel.cs
/// with report.json. A command's files replace those of the other sets, which describe another
/// kernel (an emit's launch.json left beside tune's kernel.cs was a mix, as were an earlier emit's
/// kernel.cs beside a new kernel.ptx); files of any other name are left alone.
/// </summary>
internal static class KernelFolder
{
    /// <summary>The languages <c>emit --lang</c> takes.</summary>
    public static readonly string[] Languages = ["cs", "ptx", "sass", "opencl"];

    /// <summary>What <c>emit</c> writes besides its kernel files.</summary>
    public const string Launch = "launch.json";

    /// <summary>What <c>tune</c> writes: the measured kernel with its launcher, and the report.</summary>
    public static readonly string[] Tune = ["kernel.cs", "report.json"];

    /// <summary>The kernel files emit writes for <paramref name="lang"/>.</summary>
    public static string[] EmitKernel(string lang) => lang switch
    {
        "cs" => ["kernel.cs"],
        "ptx" => ["kernel.ptx"],
        "sass" => ["kernel.cubin", "kernel.sass"],
        _ => ["kernel.cl"],
    };

    /// <summary>Every name of every set.</summary>
    private static IEnumerable<string> AllNames => Languages.SelectMany(EmitKernel).Append(Launch).Concat(Tune).Distinct();

    /// <summary>
    /// Checks, before any work, that no name of the sets in <paramref name="directory"/> is a symbolic link
    /// to another of them: a write through kernel.ptx -> kernel.cs left PTX in kernel.cs, and tune wrote
    /// C# into launch.json through kernel.cs -> launch.json (found by fuzzing). Links elsewhere are written
    /// through, as a shell's redirection does.
    /// </summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static void CheckLinks(string directory, string option)
    {
        foreach (var name in AllNames)
        {
            var path = Path.Combine(directory, name);
            if (new FileInfo(path).LinkTarget is null)
            {
                continue;
            }
            foreach (var other in AllNames.Where(other => other != name))
            {
                if (OutputPath.SameFile(path, Path.Combine(directory, other)))
                {
                    throw GensorException.BadInput($"{option} {Printable.Text(directory)}: {name} is a link to {other}, another of the files gensor writes there; remove the link");
                }
            }
        }
    }

    /// <summary>The paths in <paramref name="directory"/> of the other sets' files: they go when <paramref name="written"/> is written.</summary>
    public static string[] Superseded(string directory, IEnumerable<string> written) =>
        [.. AllNames.Except(written).Select(name => Path.Combine(directory, name))];
}
