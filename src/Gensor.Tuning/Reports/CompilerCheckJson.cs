using System.Text.Json.Nodes;
using Gensor.Construction.Feedback;
using Gensor.Feedback;

namespace Gensor.Tuning.Reports;

/// <summary>
/// The JSON of construction's compiler check (in tune reports and <c>explain</c>):
/// which tool compiled how many candidates, how many spilled and were dropped,
/// and what it cost; and a candidate's own registers and spills.
/// </summary>
public static class CompilerCheckJson
{
    /// <summary><c>{"tool", "checked", "compiled", "dropped_spilling", "dropped_registers", "ms", "kernels"}</c>, each kernel with its schedule, registers and spills (or error).</summary>
    public static JsonObject Summary(CompilerCheck check) => new()
    {
        ["tool"] = check.Tool,
        ["checked"] = check.Kernels.Count,
        ["compiled"] = check.Compiled,
        ["dropped_spilling"] = check.Dropped,
        ["dropped_registers"] = check.DroppedOverLimit,
        ["ms"] = Math.Round(check.Milliseconds, 1),
        ["kernels"] = new JsonArray([.. check.Kernels.Select(k => (JsonNode)new JsonObject
        {
            ["schedule"] = k.Schedule.ToString(),
            ["registers"] = k.Resources?.Registers,
            ["spill_bytes"] = k.Resources is { } r ? r.SpillStoreBytes + r.SpillLoadBytes : null,
            ["error"] = k.Error,
        })]),
    };

    /// <summary><c>{"registers", "spill_bytes", "threads_per_sm"}</c> as ptxas gave them for one kernel.</summary>
    public static JsonObject Kernel(KernelResources resources) => new()
    {
        ["registers"] = resources.Registers,
        ["spill_bytes"] = resources.SpillStoreBytes + resources.SpillLoadBytes,
        ["threads_per_sm"] = resources.Occupancy?.ResidentThreads,
    };

    /// <summary>One line for people: "8 candidates through ptxas 11.8 in 1.9 s: 2 spilled and were dropped, the rest ranked with their real registers".</summary>
    public static string Describe(CompilerCheck check)
    {
        var failed = check.Kernels.Count - check.Compiled;
        // The first reason says why (all of them alike, often: a profile's architecture ptxas does not know).
        var notRead = failed > 0 ? $", {failed} could not be read back ({check.Kernels.First(k => k.Resources is null).Error})" : "";
        var spilled = check.Kernels.Count(k => k.Resources is { Spills: true });
        var head = $"{check.Kernels.Count} leading candidates through {check.Tool ?? "the compiler"} in {check.Milliseconds / 1000:F1} s: ";
        if (spilled > 0 && spilled == check.Compiled && check.Dropped == 0)
        {
            // Nothing was dropped because nothing better was left: say so rather than "none spilled".
            return head + $"all {spilled} read back spilled, the least spilling ranked first" + notRead;
        }
        return head
            + (check.Dropped == 0 ? "none spilled" : $"{check.Dropped} spilled and were dropped")
            + (check.DroppedOverLimit > 0 ? $", {check.DroppedOverLimit} dropped for registers past the register file or the occupancy goal" : "")
            + notRead
            + ", the rest ranked with their real registers";
    }
}
