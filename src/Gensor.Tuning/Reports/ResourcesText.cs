using System.Globalization;
using Gensor.Feedback;

namespace Gensor.Tuning.Reports;

/// <summary>The one-line text form of a kernel's resources, for the commands' human-readable output.</summary>
public static class ResourcesText
{
    /// <summary>
    /// For example: <c>sm_90: 121 registers, no spills, 35328 B shared; 384 threads/SM resident
    /// (registers), 0.04 waves; SASS 760 instructions, 8 FFMA, 16 LDS (0 .128), 32 LDG (32 .128), 208 IMAD</c>.
    /// </summary>
    public static string Describe(KernelResources r)
    {
        var invariant = CultureInfo.InvariantCulture;
        var spills = r.Spills ? $"spills {r.SpillStoreBytes} B stored / {r.SpillLoadBytes} B loaded" : "no spills";
        var occupancy = r.Occupancy is { } o
            ? string.Create(invariant, $"; {o.ResidentThreads} threads/SM resident ({o.LimitedBy}), {(o.Waves is { } w ? w.ToString("0.###", invariant) : "-")} waves on {o.Multiprocessors} SMs")
            : "";
        var head = $"{r.Architecture}: {r.Registers} registers, {spills}, {r.StaticSharedMemoryBytes} B shared{occupancy}";
        if (r.Instructions is not { } m)
        {
            return head;
        }
        return head + $"; SASS {m.Total} instructions, {m.Ffma} FFMA, {m.Lds} LDS ({m.Lds128} .128){(m.Ldsm > 0 ? $", {m.Ldsm} LDSM" : "")}, {m.Ldg} LDG ({m.Ldg128} .128){(m.Ldgsts > 0 ? $", {m.Ldgsts} LDGSTS" : "")}, {m.Imad} IMAD"
            + (m.Shfl > 0 ? $", {m.Shfl} SHFL" : "") + (m.Hmma > 0 ? $", {m.Hmma} HMMA" : "")
            + (m.MainLoop is { } loop ? string.Create(invariant, $"; main loop {loop.Instructions} instructions, {loop.MathShare:P0} multiply-adds") : "")
            + (m.GenericFallback > 0 ? $" (and {m.GenericFallback} for generic atomics' shared or local addresses, which never run)" : "");
    }
}
