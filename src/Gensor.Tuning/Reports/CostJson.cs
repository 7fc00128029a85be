using System.Globalization;
using System.Text.Json.Nodes;
using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Tuning.Reports;

/// <summary>
/// The cost model's breakdown as JSON: one object per first-order effect, named as <see cref="CostModel"/> names them.
/// <c>model</c> says which model: <c>simt</c> for scalar kernels, <c>tensor_core</c> for <see cref="TensorCoreCost"/>'s;
/// groups both have (occupancy, waves, l2_reuse) mean the same in each.
/// </summary>
public static class CostJson
{
    /// <summary>The breakdown of either model, as <see cref="CostModel"/> estimates the schedule.</summary>
    public static JsonObject Of(Operator op, Schedule schedule, HardwareProfile profile, int? registersPerThread) =>
        CostModel.TensorCoreTerms(op, schedule, profile, registersPerThread) is { } terms
            ? TensorCore(terms)
            : Breakdown(CostModel.Breakdown(op, schedule, profile, registersPerThread));

    private static JsonObject Breakdown(CostBreakdown b) => new()
    {
        ["model"] = "simt",
        ["total_ms"] = Round(b.TotalMs),
        ["multiprocessor_ms"] = Round(b.MultiprocessorMs),
        ["dram_ms"] = Round(b.DramMs),
        ["l2_ms"] = Round(b.L2Ms),
        ["overlap_ms"] = Round(b.OverlapMs),
        ["launch_ms"] = Round(b.LaunchMs),
        ["blocks"] = b.Blocks,
        ["stages"] = b.Stages,
        ["padding_factor"] = Round(b.PaddingFactor),
        ["occupancy"] = Occupancy(b.Occupancy.BlocksPerMultiprocessor, b.Occupancy.ThreadsPerMultiprocessor, b.Occupancy.RegistersPerThread,
            b.Occupancy.SharedBytesPerBlock, b.Occupancy.Limiter, b.Occupancy.LatencyEfficiency),
        ["waves"] = Waves(b.Waves),
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
        ["l2_reuse"] = L2Reuse(b.L2Reuse),
        ["reduction"] = new JsonObject
        {
            ["reduce_threads"] = b.Reduction.ReduceThreads,
            ["instructions_per_thread"] = Round(b.Reduction.InstructionsPerThread),
            ["split_blocks"] = b.Reduction.SplitBlocks,
            ["atomic_bytes"] = Round(b.Reduction.AtomicBytes),
        },
    };

    private static JsonObject TensorCore(TensorCoreBreakdown b) => new()
    {
        ["model"] = "tensor_core",
        ["total_ms"] = Round(b.TotalMs),
        ["tensor_core_ms"] = Round(b.TensorCoreMs),
        ["shared_memory_ms"] = Round(b.SharedMemoryMs),
        ["l2_ms"] = Round(b.L2Ms),
        ["dram_ms"] = Round(b.DramMs),
        ["latency_ms"] = Round(b.LatencyMs),
        ["overlap_ms"] = Round(b.OverlapMs),
        ["copy_wait_ms"] = Round(b.CopyWaitMs),
        ["barrier_ms"] = Round(b.BarrierMs),
        ["thread_sync_ms"] = Round(b.ThreadSyncMs),
        ["launch_ms"] = Round(b.LaunchMs),
        ["blocks"] = b.Blocks,
        ["stages"] = b.Stages,
        ["pipelined"] = b.Pipelined,
        ["occupancy"] = Occupancy(b.Occupancy.BlocksPerMultiprocessor, b.Occupancy.ThreadsPerMultiprocessor, b.Occupancy.RegistersPerThread,
            b.Occupancy.SharedBytesPerBlock, b.Occupancy.Limiter, latencyEfficiency: null),
        ["waves"] = Waves(b.Waves),
        ["tensor_core"] = new JsonObject
        {
            ["flops"] = Round(b.TensorCore.Flops),
            ["peak_gflops"] = Round(b.TensorCore.PeakGflops),
            ["efficiency"] = Round(b.TensorCore.Efficiency),
            ["mma_per_warp_stage"] = b.TensorCore.MmasPerWarpStage,
        },
        ["shared_memory"] = new JsonObject
        {
            ["fragment_words_per_stage"] = b.SharedMemory.FragmentWordsPerStage,
            ["copy_words_per_stage"] = b.SharedMemory.CopyWordsPerStage,
            ["conflict_factor"] = Round(b.SharedMemory.ConflictFactor),
            ["bytes"] = Round(b.SharedMemory.Bytes),
        },
        ["l2_reuse"] = L2Reuse(b.L2Reuse),
        ["thread_wakes_per_block"] = Round(b.ThreadWakesPerBlock),
    };

    /// <summary>What stays resident on an SM; the tensor-core model has no latency efficiency (it charges latency per stage).</summary>
    private static JsonObject Occupancy(int blocks, int threads, int registers, long sharedBytes, string limiter, double? latencyEfficiency)
    {
        var occupancy = new JsonObject
        {
            ["blocks_per_sm"] = blocks,
            ["threads_per_sm"] = threads,
            ["registers_per_thread"] = registers,
            ["shared_bytes_per_block"] = sharedBytes,
            ["limiter"] = limiter,
        };
        if (latencyEfficiency is { } efficiency)
        {
            occupancy["latency_efficiency"] = Round(efficiency);
        }
        return occupancy;
    }

    private static JsonObject Waves(WavesTerm w) => new()
    {
        ["rounds"] = w.Rounds,
        ["tail_efficiency"] = Round(w.TailEfficiency),
        ["active_sms"] = w.ActiveMultiprocessors,
    };

    private static JsonObject L2Reuse(L2ReuseTerm l) => new()
    {
        ["dram_bytes"] = Round(l.DramBytes),
        ["l2_bytes"] = Round(l.L2Bytes),
        ["reuse_factor"] = Round(l.ReuseFactor),
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
