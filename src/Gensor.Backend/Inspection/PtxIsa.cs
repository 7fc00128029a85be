using System.Globalization;
using System.Text.RegularExpressions;

namespace Gensor.Backend.Inspection;

/// <summary>
/// PTX ISA versions: which one a ptxas reads, and lowering a kernel's
/// <c>.version</c> directive for an older ptxas.
/// </summary>
public static partial class PtxIsa
{
    /// <summary>
    /// Instructions and targets that need PTX ISA 8.0 or later (the PTX ISA
    /// manual's release notes: Hopper's wgmma, bulk and tensor-map copies,
    /// setmaxnreg, elect, async proxies, sm_90a; 8.1's multimem and async stores).
    /// A kernel naming one of them is never lowered below 8.0. Anything else newer
    /// that is missing here makes ptxas itself refuse the file with a clear
    /// message, so the list errs only towards an error, never towards wrong code.
    /// </summary>
    private static readonly string[] IsaEightFeatures =
    [
        "wgmma.", "cp.async.bulk", "cp.reduce.async.bulk", "setmaxnreg", "elect.sync", "fence.proxy.async",
        "mbarrier.expect_tx", ".expect_tx", "multimem.", "st.async", "red.async", "tensormap.", "sm_90a",
    ];

    /// <summary>
    /// The newest PTX ISA a ptxas of CUDA <paramref name="release"/> reads (the PTX ISA
    /// manual's release history): CUDA 10.x reads 6.3 to 6.5, 11.x reads 7.x, 12.0 to 12.5
    /// read 8.0 to 8.5, 12.6 reads 8.5, 12.8 reads 8.7, 12.9 reads 8.8.
    /// Null for a release newer than this table (it reads at least 8.8, all that ILGPU writes).
    /// </summary>
    public static Version? MaxReadBy(Version release) => release.Major switch
    {
        10 => new Version(6, 3 + release.Minor),
        < 10 => new Version(6, 0),
        11 => new Version(7, release.Minor),
        12 when release.Minor <= 5 => new Version(8, release.Minor),
        12 when release.Minor <= 9 => new Version(8, release.Minor - 1),
        _ => null,
    };

    /// <summary>The <c>.version</c> a PTX file declares, or null when it declares none.</summary>
    public static Version? Declared(string ptx)
    {
        var match = VersionDirective().Match(ptx);
        return match.Success
            ? new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>The first feature of PTX ISA 8.0 or later that <paramref name="ptx"/> uses, or null.</summary>
    public static string? NewerFeature(string ptx) => IsaEightFeatures.FirstOrDefault(feature => ptx.Contains(feature, StringComparison.Ordinal));

    /// <summary>
    /// <paramref name="ptx"/> with its <c>.version</c> lowered to <paramref name="max"/> when it
    /// declares a newer one. ILGPU 1.5 writes <c>.version 8.0</c> for every architecture up to
    /// sm_90, but its kernels use nothing that 7.8 (CUDA 11.8, the first ISA with sm_90) lacks;
    /// so an older ptxas, such as Debian's 11.8, can assemble them once the directive says 7.8.
    /// The rewrite is noted in the file, as <c>OfflineKernelCompiler</c> notes its <c>.target</c>
    /// rewrite. Returns null in <paramref name="loweredTo"/> when nothing changed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel uses a feature the older ISA lacks.</exception>
    public static string Lower(string ptx, Version max, out Version? loweredTo)
    {
        loweredTo = null;
        var declared = Declared(ptx);
        if (declared is null || declared <= max)
        {
            return ptx;
        }
        if (NewerFeature(ptx) is { } feature)
        {
            throw new InvalidOperationException(
                $"the kernel uses '{feature}' of PTX ISA {declared.ToString(2)}, and this ptxas reads only up to {max.ToString(2)}: install a newer CUDA toolkit and set CUDA_PATH");
        }
        loweredTo = max;
        var note = $"// Gensor: ILGPU wrote '.version {declared.ToString(2)}'; this ptxas reads PTX ISA up to {max.ToString(2)} and the code uses nothing newer, so it is lowered to {max.ToString(2)}.";
        return VersionDirective().Replace(ptx, $"{note}\n.version {max.ToString(2)}", 1);
    }

    [GeneratedRegex(@"^\.version\s+(\d+)\.(\d+)[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex VersionDirective();
}
