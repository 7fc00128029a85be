using Gensor.Feedback;
using Gensor.Etir;

namespace Gensor.Bench;

/// <summary>
/// Issue 9's "done when", read back from ptxas for the kernel gensor chose:
/// every kernel has a group that is a multiple of 32 and at least 64, no spills,
/// at least 256 threads resident per SM and at least min(32768, 8 × outputs) threads
/// launched; GEMMs issue at least 12 FFMA per load and use LDS.128; convolutions
/// have no more IMAD than FFMA; GEMVs reduce across threads (SHFL).
/// Each failed criterion is named by a short code in the table.
/// </summary>
internal static class SassCriteria
{
    /// <summary>The codes of the criteria <paramref name="r"/> fails; empty when it meets them all.</summary>
    public static IReadOnlyList<string> Failures(Operator op, string kind, KernelResources r)
    {
        var failed = new List<string>();
        var o = r.Occupancy!;
        if (o.GroupSize % 32 != 0 || o.GroupSize < 64)
        {
            failed.Add("group");
        }
        if (r.Spills)
        {
            failed.Add("spills");
        }
        if (o.ResidentThreads < 256)
        {
            failed.Add("resident");
        }
        if ((long)o.GridSize * o.GroupSize < Math.Min(32_768, 8 * op.Output.ElementCount))
        {
            failed.Add("launched");
        }
        var m = r.Instructions ?? throw new InvalidOperationException("the SASS criteria need the disassembled kernel");
        if (kind == "gemm" && (m.FfmaPerLoad ?? 0) < 12)
        {
            failed.Add("ffma/load");
        }
        if (kind == "gemm" && m.Lds128 == 0)
        {
            failed.Add("lds.128");
        }
        if (kind == "conv" && m.Imad > m.Ffma)
        {
            failed.Add("imad>ffma");
        }
        if (kind == "gemv" && m.Shfl == 0)
        {
            failed.Add("no shfl");
        }
        return failed;
    }

    /// <summary>The legend printed under each table.</summary>
    public const string Legend =
        "check: `ok`, or the criteria failed: `group` (not a multiple of 32 or under 64), `spills`, `resident` (< 256 threads resident per SM), "
        + "`launched` (< min(32768, 8 × outputs) threads), `ffma/load` (GEMM under 12), `lds.128` (GEMM without 128-bit shared loads), "
        + "`imad>ffma` (convolution), `no shfl` (GEMV without a cross-thread reduction).";
}
