using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Feedback;
using Gensor.Hardware;
using Gensor.Tuning.Resources;

namespace Gensor.Tuning.Reports;

/// <summary>
/// The <c>resources</c> block of launch.json and of the tuning reports: what
/// NVIDIA's tools say the kernel uses on the target profile. Without figures,
/// <c>"resources": null</c> and <c>resources_reason</c> says why.
/// </summary>
public static class ResourcesJson
{
    /// <summary>
    /// Adds <c>resources</c> (and <c>resources_reason</c> when it is null) to <paramref name="json"/>;
    /// with <paramref name="withDriver"/>, also <c>driver_attributes</c> (null without a CUDA device).
    /// </summary>
    public static void AddTo(JsonObject json, ResourceReading reading, bool withDriver)
    {
        json["resources"] = reading.Resources is { } resources ? Resources(resources) : null;
        if (reading.Resources is null)
        {
            json["resources_reason"] = reading.Reason;
        }
        if (withDriver)
        {
            json["driver_attributes"] = reading.Driver is { } driver ? Driver(driver) : null;
        }
    }

    public static JsonObject Resources(KernelResources r) => new()
    {
        ["architecture"] = r.Architecture,
        ["function"] = r.Function,
        ["registers"] = r.Registers,
        ["spill_store_bytes"] = r.SpillStoreBytes,
        ["spill_load_bytes"] = r.SpillLoadBytes,
        ["stack_frame_bytes"] = r.StackFrameBytes,
        ["static_shared_memory_bytes"] = r.StaticSharedMemoryBytes,
        ["instructions"] = r.Instructions is { } mix ? Instructions(mix) : null,
        ["occupancy"] = r.Occupancy is { } o ? Occupancy(o) : null,
        ["tools"] = new JsonObject
        {
            ["ptxas"] = r.Tools.PtxasPath,
            ["cuda_release"] = r.Tools.Release,
            ["ptx_version_lowered_to"] = r.Tools.PtxVersionLoweredTo,
        },
        ["timings"] = new JsonObject
        {
            ["ptx_ms"] = Round(r.Timings.PtxMs),
            ["ptxas_ms"] = Round(r.Timings.AssembleMs),
            ["cuobjdump_ms"] = Round(r.Timings.DisassembleMs),
        },
    };

    private static JsonObject Instructions(InstructionMix m) => new()
    {
        ["total"] = m.Total,
        ["code_bytes"] = m.CodeBytes,
        ["ffma"] = m.Ffma,
        ["hmma"] = m.Hmma,
        ["lds"] = m.Lds,
        ["lds_128"] = m.Lds128,
        ["ldsm"] = m.Ldsm,
        ["ldg"] = m.Ldg,
        ["ldg_128"] = m.Ldg128,
        ["ldgsts"] = m.Ldgsts,
        ["sts"] = m.Sts,
        ["sts_128"] = m.Sts128,
        ["stg"] = m.Stg,
        ["stg_128"] = m.Stg128,
        ["imad"] = m.Imad,
        ["shfl"] = m.Shfl,
        ["bar"] = m.Bar,
        ["generic_fallback"] = m.GenericFallback,
        ["ffma_per_load"] = m.FfmaPerLoad is { } ratio ? Math.Round(ratio, 3) : null,
        ["main_loop"] = m.MainLoop is { } loop
            ? new JsonObject
            {
                ["instructions"] = loop.Instructions,
                ["ffma"] = loop.Ffma,
                ["hmma"] = loop.Hmma,
                ["loads"] = loop.Loads,
                ["math_share"] = Math.Round(loop.MathShare, 3),
            }
            : null,
        ["opcodes"] = new JsonObject(m.Opcodes.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(pair.Value)))),
    };

    private static JsonObject Occupancy(KernelOccupancy o) => new()
    {
        ["profile"] = o.Profile,
        ["grid"] = o.GridSize,
        ["group"] = o.GroupSize,
        ["warps_per_block"] = o.WarpsPerBlock,
        // Each resource's own limit on resident blocks; null where it sets none.
        ["blocks_per_sm_by"] = new JsonObject
        {
            ["threads"] = Limit(o.BlocksByThreads),
            ["registers"] = Limit(o.BlocksByRegisters),
            ["shared_memory"] = Limit(o.BlocksBySharedMemory),
            ["block_slots"] = Limit(o.BlocksBySlots),
        },
        ["limited_by"] = o.LimitedBy,
        ["resident_blocks_per_sm"] = o.ResidentBlocks,
        ["resident_warps_per_sm"] = o.ResidentWarps,
        ["resident_threads_per_sm"] = o.ResidentThreads,
        ["multiprocessors"] = o.Multiprocessors,
        ["waves"] = o.Waves is { } waves ? Math.Round(waves, 3) : null,
    };

    private static JsonObject Driver(DriverKernelAttributes d) => new()
    {
        ["device"] = d.Device,
        ["registers"] = d.Registers,
        ["local_bytes_per_thread"] = d.LocalBytesPerThread,
        ["static_shared_memory_bytes"] = d.StaticSharedBytes,
        ["max_threads_per_block"] = d.MaxThreadsPerBlock,
        ["binary_version"] = d.BinaryVersion,
        ["resident_blocks_per_sm"] = d.ResidentBlocksPerMultiprocessor,
    };

    private static int? Limit(int blocks) => blocks == int.MaxValue ? null : blocks;

    private static double Round(double value) => Math.Round(value, 3);
}
