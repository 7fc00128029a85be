using System.Globalization;
using System.Text.Json.Nodes;
using Gensor.Construction.Cost;

namespace Gensor.Tuning.Reports;

/// <summary>The cost model's breakdown as JSON: one object per first-order effect, named as <see cref="CostModel"/> names them.</summary>
public static class CostJson
{
    public static JsonObject Breakdown(CostBreakdown b) => new()
    {
        ["total_ms"] = Round(b.TotalMs),
        ["multiprocessor_ms"] = Round(b.MultiprocessorMs),
        ["dram_ms"] = Round(b.DramMs),
        ["l2_ms"] = Round(b.L2Ms),
        ["launch_ms"] = Round(b.LaunchMs),
        ["blocks"] = b.Blocks,
        ["stages"] = b.Stages,
        ["padding_factor"] = Round(b.PaddingFactor),
        ["occupancy"] = new JsonObject
        {
            ["blocks_per_sm"] = b.Occupancy.BlocksPerMultiprocessor,
            ["threads_per_sm"] = b.Occupancy.ThreadsPerMultiprocessor,
            ["registers_per_thread"] = b.Occupancy.RegistersPerThread,
            ["shared_bytes_per_block"] = b.Occupancy.SharedBytesPerBlock,
            ["limiter"] = b.Occupancy.Limiter,
            ["latency_efficiency"] = Round(b.Occupancy.LatencyEfficiency),
        },
        ["waves"] = new JsonObject
        {
            ["rounds"] = b.Waves.Rounds,
            ["tail_efficiency"] = Round(b.Waves.TailEfficiency),
            ["active_sms"] = b.Waves.ActiveMultiprocessors,
        },
        ["memory_parallelism"] = new JsonObject
        {
            ["bytes_in_flight_per_sm"] = Round(b.MemoryParallelism.BytesInFlightPerMultiprocessor),
            ["bytes_needed_per_sm"] = Round(b.MemoryParallelism.BytesNeededPerMultiprocessor),
            ["achieved_fraction"] = Round(b.MemoryParallelism.AchievedFraction),
            ["copy_wait_ms"] = Round(b.MemoryParallelism.CopyWaitMs),
        },
        ["shared_memory"] = new JsonObject
        {
            ["passes_per_stage"] = Round(b.SharedMemory.PassesPerStage),
            ["conflict_factor"] = Round(b.SharedMemory.ConflictFactor),
            ["bytes"] = Round(b.SharedMemory.Bytes),
            ["l1_bytes"] = Round(b.SharedMemory.L1Bytes),
        },
        ["issue"] = new JsonObject
        {
            ["instructions_per_stage"] = Round(b.Issue.InstructionsPerStage),
            ["fma_per_stage"] = Round(b.Issue.FmaPerStage),
            ["loads_per_stage"] = Round(b.Issue.LoadsPerStage),
            ["fma_fraction"] = Round(b.Issue.FmaFraction),
        },
        ["l2_reuse"] = new JsonObject
        {
            ["dram_bytes"] = Round(b.L2Reuse.DramBytes),
            ["l2_bytes"] = Round(b.L2Reuse.L2Bytes),
            ["reuse_factor"] = Round(b.L2Reuse.ReuseFactor),
        },
        ["reduction"] = new JsonObject
        {
            ["reduce_threads"] = b.Reduction.ReduceThreads,
            ["instructions_per_thread"] = Round(b.Reduction.InstructionsPerThread),
            ["split_blocks"] = b.Reduction.SplitBlocks,
            ["atomic_bytes"] = Round(b.Reduction.AtomicBytes),
        },
    };

    /// <summary>Four significant digits (whole numbers from 10,000 up): enough to read, stable across runs.</summary>
    private static double Round(double value)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value;
        }
        var digits = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        // Math.Round takes at most 15 decimals; a term of an extreme profile can be far smaller (1e-13 and below).
        return digits <= 15 ? Math.Round(value, digits) : double.Parse(value.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
