using Gensor.Analysis;
using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Construction.Cost;

/// <summary>
/// Estimated time of a schedule on a profile, from first principles and the
/// kernel shape the code generator emits (one block per block tile; per stage a
/// cooperative copy of the staged inputs, a barrier, then each thread's outer
/// product over its thread tile). It drives the gensor walk's transition
/// probabilities and every policy's ranking, so it is cheap (no allocation in
/// <see cref="EstimateMs"/>), deterministic, and monotone in the quantities
/// Roller's micro model cares about (traffic per tile, occupancy, waves).
/// The estimate is a roofline over three bounds, the DRAM, the L2 and the
/// busiest multiprocessor, plus a launch overhead.
/// The constants below are rough, documented figures, not measurements; they
/// are shared by all profiles so that policies compare under one model.
/// </summary>
public static class CostModel
{

    /// <summary>L2-to-SM bandwidth as a multiple of DRAM bandwidth (about 3x on V100..H100).</summary>
    public const double L2BandwidthFactor = 3.0;

    /// <summary>
    /// Shared memory (and L1, the same SRAM) bandwidth per unit of peak FP32
    /// rate: 32 banks x 4 bytes per clock per SM against 64 (sm_70/80) or 128
    /// (sm_86+) FP32 lanes x 2 flops, i.e. between 0.5 and 1 byte per flop.
    /// </summary>
    public const double SharedBytesPerFlop = 0.75;

    /// <summary>
    /// Issue cost of a load relative to an FMA: load/store units have a half to
    /// a quarter of the FP32 lanes per SM.
    /// </summary>
    public const double LoadIssueWeight = 2.0;

    /// <summary>Integer and loop instructions per thread per reduce point (index arithmetic, the loop branch).</summary>
    public const double OverheadPerPoint = 1.0;

    /// <summary>
    /// Unstaged reads go through L1, which is shared by all resident blocks and
    /// not managed: even when the working set fits, we assume at least a quarter
    /// of the redundant reads within a block (the same element read by several
    /// threads) miss it and reach L2; when it does not fit, proportionally more.
    /// </summary>
    public const double L1RedundantMissRate = 0.25;

    /// <summary>Global load latency a stage waits for before its barrier (about 500-600 cycles).</summary>
    public const double GlobalLatencySeconds = 400e-9;

    /// <summary>Latency of a load that hits L1 (about 35 cycles), against about 25 for shared memory.</summary>
    public const double L1LatencySeconds = 20e-9;

    /// <summary>Latency of a load that misses L1 and hits L2 (about 250 cycles).</summary>
    public const double L2LatencySeconds = 150e-9;

    /// <summary>Cost of the two barriers of a stage.</summary>
    public const double BarrierSeconds = 20e-9;

    /// <summary>
    /// Independent warp instructions an SM needs in flight to keep its FP32
    /// pipes busy (4 schedulers x a few cycles of dependent-issue latency, plus
    /// shared-load latency).
    /// </summary>
    public const double LatencyTarget = 32;

    /// <summary>Kernel launch overhead.</summary>
    public const double LaunchMs = 0.003;

    /// <summary>The estimated time in milliseconds.</summary>
    public static double EstimateMs(Operator op, Schedule schedule, HardwareProfile profile) =>
        Evaluate(OperatorAnalysis.Of(op), schedule, profile).TotalMs;

    /// <summary>The estimate with every term, for <c>explain</c> and debugging.</summary>
    public static CostBreakdown Breakdown(Operator op, Schedule schedule, HardwareProfile profile)
    {
        var t = Evaluate(OperatorAnalysis.Of(op), schedule, profile);
        return new CostBreakdown(
            t.TotalMs, t.DramMs, t.L2Ms, t.SmMs, LaunchMs, t.DramBytes, t.L2Bytes, t.SharedBytes, t.L1Bytes,
            t.Blocks, t.Stages, t.BlocksPerSm, t.Waves, t.IssueEfficiency, t.LatencyEfficiency,
            t.Coalescing, t.BankConflicts, t.Padding);
    }

    private static Terms Evaluate(OperatorAnalysis a, Schedule s, HardwareProfile p)
    {
        var spatialRank = a.SpatialRank;
        // The unit of global traffic: the profile's sector (32 bytes on every
        // built-in GPU; a 128-byte line is four of them).
        var sector = p.TransactionBytes;
        Span<int> blockStage = stackalloc int[a.AxisCount];
        Span<int> threadPoint = stackalloc int[a.AxisCount];
        Span<int> threadStage = stackalloc int[a.AxisCount];
        a.BlockStageTile(s, blockStage);
        a.ThreadPointTile(s, threadPoint);
        a.ThreadPointTile(s, threadStage);

        // Grid and padding: guarded points past the extent still occupy lanes.
        long blocks = 1, outputClamped = 1;
        double paddedOutputs = 1;
        for (var i = 0; i < spatialRank; i++)
        {
            var extent = a.Extents[i];
            var tiles = (extent + s.BlockTile[i] - 1) / s.BlockTile[i];
            blocks *= tiles;
            paddedOutputs *= (double)tiles * s.BlockTile[i];
            outputClamped *= Math.Min(extent, s.BlockTile[i]);
        }
        long stages = 1, pointsPerStage = 1;
        double paddedReduce = 1;
        for (var j = 0; j < a.ReduceRank; j++)
        {
            var extent = a.Extents[spatialRank + j];
            var step = s.ReduceStep[j];
            var count = (extent + step - 1) / step;
            stages *= count;
            paddedReduce *= (double)count * step;
            pointsPerStage *= step;
            threadStage[spatialRank + j] = step;
        }
        var threads = s.ThreadsPerBlock;
        var warps = (threads + p.WarpSize - 1) / p.WarpSize;
        var outputsPerThread = s.OutputsPerThread;

        // Threads of a warp run along the innermost spatial axis first; with v
        // virtual threads neighbours are ThreadTile/v outputs apart instead of
        // ThreadTile (Schedule.VirtualThreads).
        var innermost = spatialRank - 1;
        var lanesX = innermost >= 0 ? Math.Min(p.WarpSize, s.ThreadsAlong(innermost)) : 1;
        var chunkX = innermost >= 0 ? s.ThreadTile[innermost] / s.VirtualThreads[innermost] : 1;
        var rowsPerWarp = Math.Max(1, p.WarpSize / lanesX);
        // The warp's other lanes run along the next spatial axis.
        var outer = spatialRank - 2;
        var chunkY = outer >= 0 ? s.ThreadTile[outer] / s.VirtualThreads[outer] : 1;
        var lanesY = outer >= 0 ? (int)Math.Min(rowsPerWarp, s.ThreadsAlong(outer)) : 1;
        double unstagedLatency = 0;

        // Occupancy first: how many blocks share an SM's L1 decides how much of it each gets.
        var registers = a.RegistersPerThread(s);
        var shared = a.SharedMemoryBytes(s);
        var bpsm = Occupancy.BlocksPerMultiprocessor(threads, registers, shared, p);
        // L1 and shared memory are one SRAM per SM; what the resident blocks do not
        // stage is L1. Reads not staged hit it only as far as their working set fits.
        double unstagedSet = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            if (!OperatorAnalysis.IsShared(s, a.ReadTensor(r)))
            {
                unstagedSet += a.Footprint(r, blockStage, clamp: true) * (double)sizeof(float);
            }
        }
        var l1Capacity = Math.Max(0, p.SharedMemoryPerMultiprocessor - (double)bpsm * shared);
        var l1Hit = unstagedSet == 0 ? 1 : Math.Min(1 - L1RedundantMissRate, l1Capacity / (bpsm * unstagedSet));

        double l2PerStage = 0, usefulPerStage = 0, sharedPerStage = 0, l1PerStage = 0;
        double loadsPerPoint = 0, copyPerStage = 0, conflictSum = 0, conflictCount = 0, compulsory = 0, inputBytes = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            var footprint = a.Footprint(r, blockStage, clamp: true);
            var run = a.InnermostRun(r, blockStage, clamp: true);
            var moved = (double)(footprint / run) * SectorsFor(run, sector) * sector;
            var perThread = a.Footprint(r, threadPoint, clamp: false);
            loadsPerPoint += perThread;
            usefulPerStage += footprint * sizeof(float);
            var tensorBytes = a.TensorElements(r) * (double)sizeof(float);
            inputBytes += tensorBytes;
            compulsory += Math.Min(tensorBytes, (double)blocks * stages * footprint * sizeof(float));
            if (OperatorAnalysis.IsShared(s, a.ReadTensor(r)))
            {
                l2PerStage += moved;
                // Cooperative copy: one load per chunk when chunks are aligned vectors in
                // global memory, one store when also in shared memory, else one per element (CopyPlan).
                var (width, vectorLoad, vectorStore, _) = a.CopyShape(r, s, blockStage);
                copyPerStage += (Math.Ceiling((double)footprint / (vectorLoad ? width : 1)) + Math.Ceiling((double)footprint / (vectorStore ? width : 1))) / 2;
                // Bank conflicts: a warp's lanes read addresses strideX*chunkX apart
                // along x and strideY*chunkY apart along y, in the padded layout.
                var strideX = innermost >= 0 ? a.StoredBoxStride(r, innermost, blockStage, s.SharedPadding) * chunkX : 0;
                var strideY = outer >= 0 ? a.StoredBoxStride(r, outer, blockStage, s.SharedPadding) * chunkY : 0;
                var degree = ConflictDegree(strideX, lanesX, strideY, lanesY, p.SharedMemoryBanks);
                conflictSum += degree;
                conflictCount++;
                sharedPerStage += footprint * sizeof(float)
                    + (double)threads * pointsPerStage * perThread * sizeof(float) * degree;
            }
            else
            {
                // The block's footprint reaches L2 once; redundant reads by other
                // threads hit L1 as far as it holds the working set (l1Hit).
                var threadReads = (double)threads * a.Footprint(r, threadStage, clamp: false);
                var redundant = Math.Max(0, threadReads - footprint) * sizeof(float);
                var missed = (1 - l1Hit) * redundant * (moved / (footprint * sizeof(float)));
                l2PerStage += moved + missed;
                // Every thread load is a warp request; its lanes along x are
                // stride*chunk apart, so it touches that many sectors (1 when broadcast).
                var stride = innermost >= 0 ? Math.Abs(a.AddressStride(r, innermost)) * chunkX : 0;
                var sectors = stride == 0 ? 1 : Math.Min(lanesX, Math.Ceiling(lanesX * stride * (double)sizeof(float) / sector));
                var l1Bytes = (double)warps * pointsPerStage * perThread * rowsPerWarp * sectors * sector;
                l1PerStage += l1Bytes;
                // Each reduce point waits for these loads before its multiply-adds; the
                // share of them that misses L1 waits for L2 (the first touch of each sector).
                var miss = Math.Min(1, (moved + missed) / Math.Max(1, l1Bytes));
                unstagedLatency = Math.Max(unstagedLatency, miss * L2LatencySeconds + (1 - miss) * L1LatencySeconds);
            }
        }
        var outputRun = innermost >= 0 ? Math.Min(a.Extents[innermost], s.BlockTile[innermost]) : 1;
        var outputMoved = (double)(outputClamped / outputRun) * SectorsFor(outputRun, sector) * sector;
        var outputBytes = a.OutputElements * (double)sizeof(float);

        // DRAM: compulsory traffic, plus re-reads L2 misses; the hit rate falls
        // as the inputs outgrow L2.
        var l2Bytes = blocks * (stages * l2PerStage + outputMoved);
        compulsory += outputBytes;
        var l2Hit = p.L2Bytes / (p.L2Bytes + inputBytes);
        var dramBytes = compulsory + Math.Max(0, l2Bytes - compulsory) * (1 - l2Hit);
        var dramSeconds = dramBytes / (p.DramBandwidthGBs * 1e9);
        var l2Seconds = l2Bytes / (p.DramBandwidthGBs * 1e9 * L2BandwidthFactor);

        // Issue: multiply-adds against loads, copies, stores and loop overhead.
        // Instructions issue per warp: a block whose threads do not fill its last
        // warp still occupies all of that warp's lanes.
        var laneFactor = (double)warps * p.WarpSize / threads;
        var threadPoints = (double)threads * pointsPerStage;
        var fma = threadPoints * outputsPerThread;
        var instructions = laneFactor * (fma + LoadIssueWeight * (threadPoints * loadsPerPoint + 2 * copyPerStage)
            + threadPoints * OverheadPerPoint + threads * 4.0);
        var issueEfficiency = fma / instructions;
        var issueRate = p.PeakGflops * 1e9 / 2 / p.Multiprocessors;
        var sharedRate = p.PeakGflops * 1e9 * SharedBytesPerFlop / p.Multiprocessors;
        var stageWork = Math.Max(instructions / issueRate, (sharedPerStage + l1PerStage) / sharedRate);
        var storeWork = laneFactor * threads * (double)outputsPerThread * LoadIssueWeight / issueRate;

        // Occupancy and rounds on the busiest SM: it holds ceil(blocks/SMs)
        // blocks, bpsm at a time; the last round may be partly empty (the tail).
        var perSm = (blocks + p.Multiprocessors - 1) / p.Multiprocessors;
        var fullRounds = perSm / bpsm;
        var lastRound = (int)(perSm % bpsm);
        var ilp = Math.Min(outputsPerThread, 8);
        var fullEfficiency = LatencyEfficiency(Math.Min(perSm, bpsm) * warps, ilp);
        // What one block waits for per stage: its staged copy (hidden behind the
        // previous stage's work when prefetched), then a load latency per reduce
        // point for operands read straight from global memory.
        var anyStaged = s.SharedInputs.Count > 0;
        var stageLatency = (anyStaged && !s.RegisterPrefetch ? GlobalLatencySeconds : 0) + pointsPerStage * unstagedLatency;
        var smSeconds = fullRounds * RoundSeconds(bpsm, warps, ilp, stages, stageWork, storeWork, stageLatency)
            + (lastRound > 0 ? RoundSeconds(lastRound, warps, ilp, stages, stageWork, storeWork, stageLatency) : 0);

        var totalMs = Math.Max(dramSeconds, Math.Max(l2Seconds, smSeconds)) * 1e3 + LaunchMs;
        return new Terms
        {
            TotalMs = totalMs,
            DramMs = dramSeconds * 1e3,
            L2Ms = l2Seconds * 1e3,
            SmMs = smSeconds * 1e3,
            DramBytes = dramBytes,
            L2Bytes = l2Bytes,
            SharedBytes = blocks * stages * sharedPerStage,
            L1Bytes = blocks * stages * l1PerStage,
            Blocks = blocks,
            Stages = stages,
            BlocksPerSm = bpsm,
            Waves = fullRounds + (lastRound > 0 ? 1 : 0),
            IssueEfficiency = issueEfficiency,
            LatencyEfficiency = fullEfficiency,
            Coalescing = usefulPerStage / Math.Max(1, l2PerStage),
            BankConflicts = conflictCount == 0 ? 1 : conflictSum / conflictCount,
            Padding = paddedOutputs * paddedReduce / Math.Max(1, a.OutputElements * (double)a.Operator.ReductionLength),
        };
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return a;
    }

    private static long SectorsFor(long elements, int sector) => (elements * sizeof(float) + sector - 1) / sector;

    private static double LatencyEfficiency(long residentWarps, int ilp) => Math.Min(1.0, residentWarps * ilp / LatencyTarget);

    /// <summary>
    /// One round of <paramref name="resident"/> blocks: per stage, each block
    /// waits <paramref name="stageLatency"/>, then computes; other resident blocks
    /// fill the wait (so the stage costs the larger of the summed work and one
    /// block's latency plus work), then the barriers.
    /// </summary>
    private static double RoundSeconds(long resident, int warps, int ilp, long stages, double stageWork, double storeWork, double stageLatency)
    {
        var efficiency = LatencyEfficiency(resident * warps, ilp);
        var work = stageWork / efficiency;
        var perStage = Math.Max(resident * work, stageLatency + work) + BarrierSeconds;
        return stages * perStage + resident * storeWork / efficiency + GlobalLatencySeconds;
    }

    /// <summary>
    /// The worst number of distinct words one shared-memory bank serves for a
    /// warp whose lanes sit at x*strideX + y*strideY (lanes with the same
    /// address share a broadcast).
    /// </summary>
    private static int ConflictDegree(long strideX, int lanesX, long strideY, int lanesY, int banks)
    {
        // Fast paths for a single row of lanes: a broadcast, or lanes s apart that
        // cycle through banks/gcd(s, banks) banks.
        if (lanesY <= 1 || strideY == 0)
        {
            if (strideX == 0)
            {
                return 1;
            }
            var cycle = banks / Gcd(Math.Abs(strideX), banks);
            return (int)((lanesX + cycle - 1) / cycle);
        }
        Span<long> distinct = stackalloc long[64];
        var count = 0;
        for (var y = 0; y < lanesY; y++)
        {
            for (var x = 0; x < lanesX && count < distinct.Length; x++)
            {
                var address = x * strideX + y * strideY;
                if (!distinct[..count].Contains(address))
                {
                    distinct[count++] = address;
                }
            }
        }
        Span<int> perBank = stackalloc int[Math.Max(1, banks)];
        var worst = 1;
        foreach (var address in distinct[..count])
        {
            var bank = (int)(((address % banks) + banks) % banks);
            worst = Math.Max(worst, ++perBank[bank]);
        }
        return worst;
    }

    private struct Terms
    {
        public double TotalMs, DramMs, L2Ms, SmMs, DramBytes, L2Bytes, SharedBytes, L1Bytes;
        public long Blocks, Stages, Waves;
        public int BlocksPerSm;
        public double IssueEfficiency, LatencyEfficiency, Coalescing, BankConflicts, Padding;
    }
}
