using Gensor.Analysis;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Construction.Cost;

/// <summary>
/// Estimated time of a schedule on a profile, from the GPU's first-order effects
/// and the kernel the lowering writes (one block per block tile; per stage a
/// cooperative copy of the staged inputs, barriers, then each thread's outer
/// product over its thread tile, unrolled when small; reduce lanes combined at
/// the end). It drives the gensor walk's transition probabilities and every
/// policy's ranking, so it is cheap (no allocation in <see cref="EstimateMs(Operator, Schedule, HardwareProfile)"/>)
/// and deterministic. The estimate is a roofline over three bounds, the DRAM,
/// the L2 and the busiest multiprocessor, plus a launch overhead; the terms
/// that feed them are reported by <see cref="Breakdown"/>:
/// <list type="bullet">
/// <item><b>occupancy</b>: resident blocks per SM from threads, registers and shared memory;</item>
/// <item><b>waves</b>: rounds of resident blocks on the busiest SM and the tail of the last;</item>
/// <item><b>memory parallelism</b>: bytes in flight per SM against latency × bandwidth (Little's law);</item>
/// <item><b>shared memory</b>: bank passes of every warp's shared loads and stores, conflicts counted;</item>
/// <item><b>issue</b>: multiply-adds against loads, copies, guards and loop overhead, on the FP32 pipes and the schedulers;</item>
/// <item><b>L2 reuse</b>: DRAM traffic from the tiles that concurrently resident blocks share;</item>
/// <item><b>reductions</b>: shuffles and shared-memory steps that combine reduce lanes.</item>
/// </list>
/// Hardware figures come from the profile (bandwidths, latency, clock, efficiencies),
/// so a calibrated profile (<c>gensor calibrate</c>) changes the estimates and not the code.
/// </summary>
public static class CostModel
{
    /// <summary>Warp instructions a multiprocessor issues per clock (four schedulers on sm_70..sm_90).</summary>
    public const double IssuePerClock = 4;

    /// <summary>Shared-memory bank passes a multiprocessor serves per clock (32 banks × 4 bytes).</summary>
    public const double SharedPassesPerClock = 1;

    /// <summary>
    /// Independent warp instructions an SM needs in flight to keep its pipes busy (4
    /// schedulers × a few cycles of dependent-issue latency, plus shared-load latency).
    /// </summary>
    public const double LatencyTarget = 32;

    /// <summary>
    /// Independent accumulator updates of a thread that count towards hiding latency. Four cover
    /// the FP32 pipe's dependent-issue latency (about 4 cycles); they do not cover a shared load
    /// (about 30) or a barrier, which only other warps do, so past four a warp counts no more.
    /// With <see cref="LatencyTarget"/> this asks for 8 warps per SM, 2 per scheduler.
    /// </summary>
    public const int MaxIndependentUpdates = 4;

    /// <summary>Latency of a load that hits L1, relative to the profile's memory latency.</summary>
    public const double L1LatencyShare = 0.06;

    /// <summary>Latency of a load that hits L2, relative to the profile's memory latency (about 250 of 600 cycles).</summary>
    public const double L2LatencyShare = 0.45;

    /// <summary>
    /// Unstaged reads go through L1, which is shared by all resident blocks and not
    /// managed: even when the working set fits, at least this share of the redundant
    /// reads within a block (the same element read by several threads) miss it.
    /// </summary>
    public const double L1RedundantMissRate = 0.25;

    /// <summary>
    /// Instructions of a staged copy per stage beyond its loads, as ptxas 11.8 compiles the
    /// lowering's copy for sm_90: per store, the store and the adds that place it and its
    /// chunk's load; per bounds-checked dimension of a chunk, its coordinate and comparisons (or
    /// its condition bit's test); per carry between copy runs (<see cref="OperatorAnalysis.CopyCarries"/>),
    /// its bit's test and a selected constant in each offset; a looped copy's divisions as
    /// <see cref="OperatorAnalysis.CopyDivisionInstructions"/> counts them. Fitted to the main loops of the
    /// four leading candidates per operator of the bench suites and issue 9's operators on h100,
    /// the 179 whose loop is one stage: the stage's instructions 2.3% from the loop's in mean
    /// and 11% at worst, where one instruction per load, store and check and one per chunk
    /// were 5.9% and 32% (a padded convolution's carries uncounted). `Gensor.Bench issue --rows`
    /// writes these counts per kernel to refit them (bench/results/issue-term-h100.md).
    /// </summary>
    internal const double CopyStoreInstructions = 3, CopyCheckInstructions = 4, CopyCarryInstructions = 6;

    /// <summary>Share of L2 that tiles of concurrently running blocks can count on (the rest holds other lines).</summary>
    public const double UsableL2 = 0.5;

    /// <summary>
    /// A kernel's bounds taken together: the largest, and what the others add to it (the profile's
    /// <see cref="HardwareProfile.OverlapLoss"/> of them).
    /// </summary>
    internal static (double Largest, double Overlap) Bounds(HardwareProfile profile, params ReadOnlySpan<double> bounds)
    {
        double sum = 0, largest = 0;
        foreach (var bound in bounds)
        {
            sum += bound;
            largest = Math.Max(largest, bound);
        }
        return (largest, profile.OverlapLoss * (sum - largest));
    }

    /// <summary>The estimated time in milliseconds.</summary>
    public static double EstimateMs(Operator op, Schedule schedule, HardwareProfile profile) => Estimate(op, schedule, profile, null);

    /// <summary>The estimated time with ptxas's register count instead of the estimate (compiler feedback).</summary>
    public static double EstimateMs(Operator op, Schedule schedule, HardwareProfile profile, int registersPerThread) =>
        Estimate(op, schedule, profile, registersPerThread);

    /// <summary>Tensor-core schedules have their own model (<see cref="TensorCoreCost"/>); the others are evaluated here.</summary>
    private static double Estimate(Operator op, Schedule schedule, HardwareProfile profile, int? registersPerThread) =>
        TensorCoreTerms(op, schedule, profile, registersPerThread)?.TotalMs
            ?? Evaluate(OperatorAnalysis.Of(op), schedule, profile, registersPerThread).TotalMs;

    /// <summary>
    /// The estimate of a schedule without tensor cores with every term, for <c>explain</c> and debugging;
    /// <paramref name="registersPerThread"/> overrides the register estimate. A tensor-core schedule's
    /// terms are <see cref="TensorCoreTerms"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The schedule is a tensor-core schedule of the operator.</exception>
    public static CostBreakdown Breakdown(Operator op, Schedule schedule, HardwareProfile profile, int? registersPerThread = null)
    {
        if (TensorCoreTilingOf(op, schedule) is not null)
        {
            throw new ArgumentException($"'{schedule}' runs on tensor cores, whose model is TensorCoreCost: use TensorCoreTerms", nameof(schedule));
        }
        var t = Evaluate(OperatorAnalysis.Of(op), schedule, profile, registersPerThread);
        return new CostBreakdown(
            t.TotalMs, t.SmMs, t.DramMs, t.L2Ms, t.OverlapMs, profile.LaunchMicroseconds / 1e3,
            new OccupancyTerm(t.BlocksPerSm, t.BlocksPerSm * schedule.ThreadsPerBlock, t.Registers, t.SharedBytesPerBlock, t.Limiter, t.LatencyEfficiency),
            new WavesTerm(t.Rounds, t.TailEfficiency, t.ActiveSms),
            new MemoryParallelismTerm(t.InFlightPerSm, t.NeededPerSm, t.AchievedFraction, t.CopyWaitMs),
            new SharedMemoryTerm(t.PassesPerStage, t.ConflictFactor, t.SharedBytes, t.L1Bytes),
            new IssueTerm(t.InstructionsPerStage, t.FmaPerStage, t.LoadsPerStage, t.FmaFraction),
            new L2ReuseTerm(t.DramBytes, t.L2Bytes, t.L2Bytes / Math.Max(1, t.DramBytes)),
            new ReductionTerm(schedule.ReduceThreads, t.ReductionInstructions, schedule.SplitReduce, t.AtomicBytes),
            t.Blocks, t.Stages, t.Padding);
    }

    /// <summary>The terms of a tensor-core schedule's estimate (<see cref="TensorCoreCost"/>), or null for any other schedule.</summary>
    public static TensorCoreBreakdown? TensorCoreTerms(Operator op, Schedule schedule, HardwareProfile profile, int? registersPerThread = null) =>
        TensorCoreTilingOf(op, schedule) is { } tiling ? TensorCoreCost.Breakdown(tiling, profile, registersPerThread) : null;

    /// <summary>The tiling <see cref="TensorCoreCost"/> prices the schedule by, or null when the scalar model does.</summary>
    private static TensorCoreTiling? TensorCoreTilingOf(Operator op, Schedule schedule) =>
        schedule.Mma != MmaShape.None ? TensorCoreTiling.Of(op, schedule).Tiling : null;

    private static Terms Evaluate(OperatorAnalysis a, Schedule s, HardwareProfile p, int? registerOverride)
    {
        var spatialRank = a.SpatialRank;
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
            var tiles = Tiles(extent, s.BlockTile[i]);
            blocks *= tiles;
            paddedOutputs *= (double)tiles * s.BlockTile[i];
            outputClamped *= Math.Min(extent, s.BlockTile[i]);
        }
        long stages = 1;
        double paddedReduce = 1;
        var raggedReduce = false;
        for (var j = 0; j < a.ReduceRank; j++)
        {
            var extent = a.Extents[spatialRank + j];
            var step = s.ReduceStep[j];
            var count = Tiles(extent, step);
            stages *= count;
            paddedReduce *= (double)count * step;
            threadStage[spatialRank + j] = step;
            raggedReduce |= extent % step != 0;
        }
        // Split-K: every block tile once per slice of the reduction, each block a slice's stages.
        var split = Math.Max(1, s.SplitReduce);
        blocks *= split;
        stages = Math.Max(1, stages / split);
        var threads = s.ThreadsPerBlock;
        var warps = (threads + p.WarpSize - 1) / p.WarpSize;
        var outputs = s.OutputsPerThread;
        var points = (double)OperatorAnalysis.PointsPerThreadPerStage(s);
        // Points per unrolled body: the whole stage when it fits, else its innermost loops (1 when none is unrolled).
        var (unrolledLoops, unrolledPointsLong, partialFactor) = OperatorAnalysis.StageUnrolling(s);
        var unrolledPoints = (double)unrolledPointsLong;
        // Points of one copy of the unrolled body: a partly unrolled loop's copies each load their own operands.
        var unrolledBody = unrolledPoints / partialFactor;
        var rolledIterations = points / unrolledPoints;
        var anyStaged = s.SharedInputs.Count > 0;
        // The next stage's copy overlaps this one: through the prefetch's registers, or by asynchronous copies.
        var pipelined = (s.RegisterPrefetch || s.AsyncCopy) && anyStaged;

        // ---- Occupancy ----
        var registers = registerOverride ?? a.RegistersPerThread(s);
        var sharedBytes = a.SharedMemoryBytes(s, p.WarpSize);
        var (bpsm, limiter) = Occupancy.Resident(threads, registers, sharedBytes, p);

        // ---- Waves: the busiest SM holds ceil(blocks/SMs) blocks, bpsm at a time ----
        var perSm = (blocks + p.Multiprocessors - 1) / p.Multiprocessors;
        var fullRounds = perSm / bpsm;
        var lastRound = (int)(perSm % bpsm);
        var rounds = fullRounds + (lastRound > 0 ? 1 : 0);
        var activeSms = (int)Math.Min(p.Multiprocessors, blocks);
        var tail = blocks / ((double)rounds * bpsm * p.Multiprocessors);

        // ---- Per read: loads, shared passes, traffic ----
        // The lanes of a warp: reduce lanes fastest, then threads along the innermost spatial axis, then the next.
        var lanes = Math.Max(1, s.ReduceThreads);
        var innermost = spatialRank - 1;
        var outer = spatialRank - 2;
        var threadsX = innermost >= 0 ? s.ThreadsAlong(innermost) : 1;
        var threadsY = outer >= 0 ? s.ThreadsAlong(outer) : 1;
        var chunkX = innermost >= 0 ? s.ThreadTile[innermost] / s.VirtualThreads[innermost] : 1;
        var chunkY = outer >= 0 ? s.ThreadTile[outer] / s.VirtualThreads[outer] : 1;
        var innerReduce = spatialRank + a.ReduceRank - 1;
        // Neighbouring lanes start a run of laneRun reduce points apart (OperatorAnalysis.ReduceLaneRun).
        var laneRun = a.ReduceLaneRun(s);

        // L1 and shared memory are one SRAM per SM; what the resident blocks do not stage is L1.
        double unstagedSet = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            if (!OperatorAnalysis.IsShared(s, a.ReadTensor(r)))
            {
                unstagedSet += a.Footprint(r, blockStage, clamp: true) * (double)sizeof(float);
            }
        }
        var l1Capacity = Math.Max(0, p.SharedMemoryPerMultiprocessor - (double)bpsm * sharedBytes);
        var l1Hit = unstagedSet == 0 ? 1 : Math.Min(1 - L1RedundantMissRate, l1Capacity / (bpsm * unstagedSet));

        double l2PerStage = 0, lds = 0, ldg = 0, guards = 0, copyInstructions = 0, passes = 0, idealPasses = 0;
        double inFlightPerThread = 0, unstagedLatency = 0, compulsory = 0, inputBytes = 0, l1Sectors = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            var footprint = a.Footprint(r, blockStage, clamp: true);
            var run = a.InnermostRun(r, blockStage, clamp: true);
            var moved = (double)(footprint / run) * SectorsFor(run, sector) * sector;
            var operands = a.Footprint(r, threadPoint, clamp: false);
            var tensorBytes = a.TensorElements(r) * (double)sizeof(float);
            inputBytes += tensorBytes;
            compulsory += Math.Min(tensorBytes, (double)blocks * stages * footprint * sizeof(float));
            if (OperatorAnalysis.IsShared(s, a.ReadTensor(r)))
            {
                l2PerStage += moved;
                var loads = a.SharedLoadsPerPoint(r, s);
                // Fewer loads than operands: 128-bit ones (along the thread tile or a lane's run).
                var width = loads < operands ? 4 : 1;
                lds += points * loads;
                // Bank passes of one of these loads by a warp, at the lanes' word offsets in the stored box.
                var strideLane = a.StoredBoxStride(r, innerReduce, blockStage, s) * laneRun;
                var strideX = innermost >= 0 ? a.StoredBoxStride(r, innermost, blockStage, s) * chunkX : 0;
                var strideY = outer >= 0 ? a.StoredBoxStride(r, outer, blockStage, s) * chunkY : 0;
                var pass = Passes(lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p);
                passes += points * loads * pass;
                idealPasses += points * loads * IdealPasses(lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p);
                var (copyWidth, vectorLoad, vectorStore, iterations) = a.CopyShape(r, s, blockStage);
                var checks = a.CheckedDimensions(r, s, reduceGuarded: false);
                // An asynchronous copy is one instruction per store, with no load of its own.
                var copyLoads = s.AsyncCopy ? 0 : vectorLoad ? 1 : copyWidth;
                copyInstructions += iterations * (copyLoads + (vectorStore ? 1 : copyWidth) * CopyStoreInstructions + checks * CopyCheckInstructions)
                    + a.CopyCarries(r, s, blockStage, copyWidth, iterations) * CopyCarryInstructions
                    + a.CopyDivisionInstructions(r, s, blockStage, copyWidth, iterations);
                // A warp's copy stores: vectors along stored rows, or one store per element of its chunks,
                // each with the bank conflicts of where the lanes' elements are stored.
                var storePasses = vectorStore ? copyWidth : CopyStorePasses(a, r, s, blockStage, copyWidth, p);
                // The copy's loads return through L1 into registers first, a register per lane per pass
                // (cp.async writes shared memory from L2 directly: its stores' passes only).
                passes += iterations * (storePasses + (s.AsyncCopy ? 0 : copyWidth));
                idealPasses += iterations * 2 * copyWidth;
                inFlightPerThread += iterations * copyWidth * sizeof(float);
            }
            else
            {
                // The block's footprint reaches L2 once; redundant reads by other threads
                // hit L1 as far as it holds the working set (l1Hit).
                var threadReads = (double)threads * a.Footprint(r, threadStage, clamp: false) / lanes;
                var redundant = Math.Max(0, threadReads - footprint) * sizeof(float);
                var missed = (1 - l1Hit) * redundant * (moved / (footprint * sizeof(float)));
                l2PerStage += moved + missed;
                // Runs of consecutive, aligned operands load as one vector each (OperatorAnalysis.GlobalVectorWidth).
                // Each distinct value of an unrolled body is loaded once (LoadReuse): overlapping points of a convolution share loads.
                var loaded = Math.Min(points * operands, points / unrolledBody * (double)a.OperandsPerUnrolledBody(r, s, unrolledLoops));
                var vectorWidth = a.GlobalVectorWidth(r, s);
                ldg += loaded / vectorWidth;
                guards += loaded * a.CheckedDimensions(r, s, reduceGuarded: true);
                // Each of these loads is a warp request through L1: as many 32-byte sectors as its lanes' addresses
                // touch, and at least the passes that return its registers.
                var sectors = Sectors(lanes, a.AddressStride(r, innerReduce) * laneRun, threadsX, innermost >= 0 ? a.AddressStride(r, innermost) * chunkX : 0,
                    threadsY, outer >= 0 ? a.AddressStride(r, outer) * chunkY : 0, vectorWidth, p);
                l1Sectors += loaded / vectorWidth * sectors;
                inFlightPerThread += operands * sizeof(float) * Math.Min(unrolledPoints, 4);
                // Each point waits for its loads; the share of them that misses L1 waits for L2.
                var warpBytes = (double)warps * points * operands * p.WarpSize * sizeof(float);
                var miss = Math.Min(1, (moved + missed) / Math.Max(1, warpBytes));
                unstagedLatency = Math.Max(unstagedLatency, (miss * L2LatencyShare + (1 - miss) * L1LatencyShare) * p.MemoryLatencyNs * 1e-9);
            }
        }

        // ---- Issue: instructions per thread per stage, and once per thread ----
        var fma = points * outputs;
        var loopOverhead = rolledIterations > 1 ? rolledIterations * 3 : 0;
        var barriers = anyStaged ? (s.SharedBuffers == 2 ? 1 : 2) : 0;
        var perStage = fma + lds + ldg + guards + copyInstructions + loopOverhead + (raggedReduce ? points : 0) + 8 + barriers;
        var reductionInstructions = lanes > 1
            ? Math.Log2(Math.Min(lanes, p.WarpSize)) * outputs * 2 + (lanes > p.WarpSize ? outputs * (2 + lanes / (double)p.WarpSize) : 0)
            : 0;
        var once = reductionInstructions + outputs * 3 + 24;
        var clock = p.ClockMhz * 1e6;
        var fmaPerClock = Math.Max(0.25, p.Fp32LanesPerMultiprocessor / p.WarpSize);
        // Cycles per warp per stage on one SM: the schedulers, the FP32 pipes and the shared banks, whichever is busiest.
        var issueCycles = Math.Max(perStage / IssuePerClock, fma / fmaPerClock) / p.IssueEfficiency;
        // Shared memory and L1 are one SRAM: 128 bytes per clock for bank passes and L1 sectors alike.
        var sharedCycles = (passes + l1Sectors * sector / (double)(p.SharedMemoryBanks * sizeof(float))) / SharedPassesPerClock;
        var stageWork = warps * Math.Max(issueCycles, sharedCycles) / clock;
        var onceWork = warps * (once / IssuePerClock / p.IssueEfficiency) / clock;

        // ---- Latency: what a block waits for per stage, hidden by other resident blocks ----
        var ilp = Math.Min(outputs, MaxIndependentUpdates);
        var latency = p.MemoryLatencyNs * 1e-9;
        // A single-buffered stage waits at its barrier for its own copy. The blocks of an SM run the same
        // code from the same start, so they reach that wait together and no other block's work fills it:
        // on an H200 such GEMMs ran 1.5-2.5x slower than the same tiles with the copy prefetched, where
        // the model, hiding the wait behind co-resident blocks, had them equal. Unstaged loads have no
        // barrier: other warps' work hides them.
        var copyWait = anyStaged && !pipelined ? latency : 0;
        var stageLatency = rolledIterations * unstagedLatency;
        // ILGPU's CPU accelerator synchronises OS threads: each thread taking part is woken at every
        // block barrier, at each shuffle (two warp barriers) and when its block ends. GPUs: ThreadSyncNs = 0.
        var threadSync = threads * p.ThreadSyncNs * 1e-9;
        var barrier = barriers * p.BarrierNs * 1e-9 + barriers * threadSync;
        var shuffles = lanes > 1 ? Math.Log2(Math.Min(lanes, p.WarpSize)) * outputs : 0;
        var blockSync = threadSync * (1 + 2 * shuffles + (lanes > p.WarpSize ? 1 : 0));
        double Round(long resident)
        {
            var efficiency = LatencyEfficiency(resident * warps, ilp);
            var work = stageWork / efficiency;
            // With the prefetch, the next stage's copy overlaps this stage's work: a stage lasts at least the
            // latency. The prefetch holds staged copies only, so a stage still waits for its unstaged loads
            // (the H200 records of bench/results/gpu-h200-2026-11-29: without that wait the model's first
            // choice per operator measured 1.37x the fastest in geometric mean, with it 1.27x).
            var stageTime = pipelined
                ? Math.Max(resident * work, Math.Max(latency, stageLatency + work))
                : Math.Max(resident * work, stageLatency + work) + copyWait;
            // blockSync is added on its own so that GPU estimates (blockSync = 0) stay bit for bit what they were.
            return stages * (stageTime + barrier) + resident * onceWork / efficiency + latency + resident * blockSync;
        }
        var smSeconds = fullRounds * Round(bpsm) + (lastRound > 0 ? Round(lastRound) : 0);
        var copyWaitSeconds = rounds * stages * copyWait;

        // ---- Memory: L2 reuse between concurrent blocks, and bytes in flight ----
        var outputRun = innermost >= 0 ? Math.Min(a.Extents[innermost], s.BlockTile[innermost]) : 1;
        var outputMoved = (double)(outputClamped / outputRun) * SectorsFor(outputRun, sector) * sector;
        var outputBytes = a.OutputElements * (double)sizeof(float);
        // Split blocks add into the output at L2: a read and a write of each sector, and the output
        // is cleared first (one more pass over it in DRAM, and one more operation on the stream).
        var atomicBytes = split > 1 ? blocks * outputMoved * 2 : 0;
        var l2Bytes = split > 1 ? blocks * stages * l2PerStage + atomicBytes : blocks * (stages * l2PerStage + outputMoved);
        compulsory += outputBytes * (split > 1 ? 2 : 1);
        var dramBytes = DramBytes(a, s, p, blocks, bpsm, inputBytes + outputBytes, compulsory, l2Bytes);

        var inFlightPerSm = bpsm * (double)threads * inFlightPerThread;
        var neededPerSm = latency * p.DramBandwidthGBs * 1e9 / p.Multiprocessors;
        var achieved = Math.Min(p.DramEfficiency, p.DramEfficiency * inFlightPerSm / Math.Max(1, neededPerSm)) * activeSms / p.Multiprocessors;
        var dramSeconds = dramBytes / (p.DramBandwidthGBs * 1e9 * Math.Max(1e-6, achieved));
        var l2Fraction = Math.Min(1, inFlightPerSm / Math.Max(1, neededPerSm * L2LatencyShare)) * activeSms / p.Multiprocessors;
        var l2Seconds = l2Bytes / (p.EffectiveL2BandwidthGBs * 1e9 * Math.Max(1e-6, l2Fraction));

        var launches = split > 1 ? 2 : 1;
        var (largestSeconds, overlapSeconds) = Bounds(p, dramSeconds, l2Seconds, smSeconds);
        var totalMs = (largestSeconds + overlapSeconds) * 1e3 + launches * p.LaunchMicroseconds / 1e3;
        return new Terms
        {
            TotalMs = totalMs,
            DramMs = dramSeconds * 1e3,
            L2Ms = l2Seconds * 1e3,
            SmMs = smSeconds * 1e3,
            OverlapMs = overlapSeconds * 1e3,
            DramBytes = dramBytes,
            L2Bytes = l2Bytes,
            SharedBytes = blocks * stages * (double)warps * passes * p.SharedMemoryBanks * sizeof(float),
            L1Bytes = blocks * stages * (double)warps * l1Sectors * sector,
            Blocks = blocks,
            Stages = stages,
            BlocksPerSm = bpsm,
            Registers = registers,
            SharedBytesPerBlock = sharedBytes,
            Limiter = limiter,
            LatencyEfficiency = LatencyEfficiency(Math.Min(perSm, bpsm) * warps, ilp),
            Rounds = rounds,
            TailEfficiency = tail,
            ActiveSms = activeSms,
            InFlightPerSm = inFlightPerSm,
            NeededPerSm = neededPerSm,
            AchievedFraction = achieved,
            CopyWaitMs = copyWaitSeconds * 1e3,
            PassesPerStage = passes,
            ConflictFactor = idealPasses == 0 ? 1 : passes / idealPasses,
            InstructionsPerStage = perStage,
            FmaPerStage = fma,
            LoadsPerStage = lds + ldg,
            FmaFraction = fma / perStage,
            ReductionInstructions = reductionInstructions,
            AtomicBytes = atomicBytes,
            Padding = paddedOutputs * paddedReduce / Math.Max(1, a.OutputElements * (double)a.Operator.ReductionLength),
        };
    }

    /// <summary>
    /// DRAM traffic with L2 reuse between blocks: when all the tensors fit the usable L2
    /// they come from DRAM once; otherwise each round of concurrently resident blocks
    /// (consecutive block indices, innermost spatial axis fastest) reads the tiles it
    /// touches once, and tiles it shares with later rounds come again.
    /// </summary>
    private static double DramBytes(OperatorAnalysis a, Schedule s, HardwareProfile p, long blocks, int bpsm, double tensorBytes, double compulsory, double l2Bytes)
    {
        if (tensorBytes <= p.L2Bytes * UsableL2)
        {
            return compulsory;
        }
        var concurrent = Math.Min(blocks, (long)bpsm * p.Multiprocessors);
        var roundsOfGrid = Math.Ceiling(blocks / (double)concurrent);
        Span<int> wave = stackalloc int[a.AxisCount];
        var remaining = concurrent;
        for (var i = a.SpatialRank - 1; i >= 0; i--)
        {
            var along = Tiles(a.Extents[i], s.BlockTile[i]);
            var covered = Math.Min(remaining, along);
            wave[i] = (int)Math.Min(a.Extents[i], covered * s.BlockTile[i]);
            remaining = Math.Max(1, (remaining + along - 1) / along);
        }
        for (var j = 0; j < a.ReduceRank; j++)
        {
            wave[a.SpatialRank + j] = a.Extents[a.SpatialRank + j];
        }
        if (s.SplitReduce > 1 && a.ReduceRank > 0)
        {
            // Blocks run slice by slice (the slice is the slowest block index): a round reads about one slice of the reduction.
            wave[a.SpatialRank] = (int)Tiles(a.Extents[a.SpatialRank], s.SplitReduce);
        }
        double perRound = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            perRound += a.Footprint(r, wave, clamp: true) * (double)sizeof(float);
        }
        // A round whose tiles do not fit L2 loses its reuse too: its blocks read from DRAM what L2 could not keep.
        var overflow = Math.Max(0, perRound - p.L2Bytes * UsableL2) / Math.Max(1, perRound);
        var reread = roundsOfGrid * perRound + overflow * Math.Max(0, l2Bytes - roundsOfGrid * perRound);
        return Math.Max(compulsory, reread);
    }

    /// <summary>
    /// Bank passes for one shared load by a warp whose lanes read <paramref name="width"/>
    /// consecutive words from rl*strideLane + x*strideX + y*strideY (reduce lanes fastest):
    /// the most distinct words any one bank must serve. Lanes reading the same word share a broadcast.
    /// </summary>
    private static int Passes(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        var question = new WarpAccessMemo.Question(1, lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p.WarpSize, p.SharedMemoryBanks);
        var memo = WarpAccessMemo.Current;
        return memo.Find(question) is var known and > 0 ? known : memo.Keep(question, CountPasses(lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p));
    }

    private static int CountPasses(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        var banks = Math.Max(1, p.SharedMemoryBanks);
        Span<long> starts = stackalloc long[p.WarpSize];
        LaneStarts(lanes, strideLane, threadsX, strideX, threadsY, strideY, starts);
        Span<long> words = stackalloc long[p.WarpSize * 4];
        var count = 0;
        foreach (var start in starts)
        {
            for (var w = 0; w < Math.Min(width, 4); w++)
            {
                words[count++] = start + w;
            }
        }
        var returns = ReturnPasses(starts, width);
        // Lanes reading the same word are served together (a broadcast): count distinct words
        // per bank. Sorting and skipping repeats is what keeps this cheap enough for every state.
        var used = words[..count];
        SortSmall(used);
        Span<int> perBank = stackalloc int[banks];
        var worst = 1;
        for (var i = 0; i < used.Length; i++)
        {
            if (i > 0 && used[i] == used[i - 1])
            {
                continue;
            }
            var bank = (int)(((used[i] % banks) + banks) % banks);
            worst = Math.Max(worst, ++perBank[bank]);
        }
        return Math.Max(worst, returns);
    }

    /// <summary>
    /// The word (element) offset each lane of a warp starts at, lanes at rl*strideLane + x*strideX + y*strideY
    /// (reduce lanes fastest, then threads along the innermost spatial axis, then the next).
    /// </summary>
    private static void LaneStarts(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, Span<long> starts)
    {
        for (var lane = 0; lane < starts.Length; lane++)
        {
            var rest = lane / lanes;
            // Lanes past the two innermost axes move along outer axes, whose strides this leaves out.
            starts[lane] = lane % lanes * strideLane + rest % threadsX * strideX + rest / threadsX % Math.Max(1, threadsY) * strideY;
        }
    }

    /// <summary>
    /// Passes a warp's load needs to return its data, conflicts aside: shared memory and L1 hand
    /// the lanes one register each per clock (128 bytes), so a load of <paramref name="width"/>
    /// words per lane takes that many passes even where lanes share words, and half as many where
    /// each lane shares its address with a neighbour (lanes i and i^1, or i and i^2, for every i),
    /// whose registers the hardware packs (NVIDIA's account of sm_70-sm_75). On an H200, of 19 pairs
    /// of GEMM tiles that differ only by a transposed thread tile, which bank conflicts alone tied, the
    /// model with these passes (and the copies' loads returning the same way) orders the 14 it tells
    /// apart as measured (bench/results/gpu-h200-2026-11-29).
    /// </summary>
    private static int ReturnPasses(ReadOnlySpan<long> starts, int width)
    {
        if (width < 2)
        {
            return 1;
        }
        var pairedBy1 = starts.Length % 2 == 0;
        var pairedBy2 = starts.Length % 4 == 0;
        for (var lane = 0; lane < starts.Length && (pairedBy1 || pairedBy2); lane++)
        {
            pairedBy1 = pairedBy1 && starts[lane] == starts[lane ^ 1];
            pairedBy2 = pairedBy2 && starts[lane] == starts[lane ^ 2];
        }
        return pairedBy1 || pairedBy2 ? width / 2 : width;
    }

    /// <summary>
    /// Bank passes of a warp's element-by-element stores of its copy chunks: per element of a chunk,
    /// the most lanes one bank must take (<see cref="OperatorAnalysis.CopyStoreOffsets"/>). The
    /// elements of a chunk are stored one stride apart, so every element's stores fall on the banks of
    /// the first's, shifted alike: the same passes, once per element. Distinct elements are distinct words.
    /// </summary>
    private static int CopyStorePasses(OperatorAnalysis a, int read, Schedule s, ReadOnlySpan<int> tile, int width, HardwareProfile p)
    {
        Span<long> words = stackalloc long[p.WarpSize];
        var count = a.CopyStoreOffsets(read, s, tile, width, words);
        var banks = Math.Max(1, p.SharedMemoryBanks);
        Span<int> perBank = stackalloc int[banks];
        var worst = 1;
        for (var i = 0; i < count; i++)
        {
            worst = Math.Max(worst, ++perBank[(int)(words[i] % banks)]);
        }
        return width * worst;
    }

    /// <summary>
    /// 32-byte sectors one global load of <paramref name="width"/> elements per lane takes through L1, its
    /// lanes at element offsets rl*strideLane + x*strideX + y*strideY: those its lanes touch, and at least
    /// the sectors' worth of passes it takes to return the data (<see cref="ReturnPasses"/>).
    /// </summary>
    private static int Sectors(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        var question = new WarpAccessMemo.Question(2, lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p.WarpSize, p.TransactionBytes);
        var memo = WarpAccessMemo.Current;
        return memo.Find(question) is var known and > 0 ? known : memo.Keep(question, CountSectors(lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p));
    }

    private static int CountSectors(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        Span<long> starts = stackalloc long[p.WarpSize];
        LaneStarts(lanes, strideLane, threadsX, strideX, threadsY, strideY, starts);
        Span<long> touched = stackalloc long[p.WarpSize];
        for (var lane = 0; lane < starts.Length; lane++)
        {
            // A vector load is aligned to its size, so it lies in its first element's sector.
            touched[lane] = starts[lane] * sizeof(float) / p.TransactionBytes;
        }
        // The sectors it returns in: L1 returns data like shared memory, 128 bytes per clock.
        var returnSectors = ReturnPasses(starts, width) * p.SharedMemoryBanks * sizeof(float) / p.TransactionBytes;
        SortSmall(touched);
        var distinct = 0;
        for (var i = 0; i < touched.Length; i++)
        {
            distinct += i == 0 || touched[i] != touched[i - 1] ? 1 : 0;
        }
        return Math.Max(returnSectors, distinct);
    }

    /// <summary>
    /// Insertion sort of at most a warp's words (4 per lane): they arrive nearly in order, and the
    /// framework's generic sort of longs is not in any ReadyToRun image, so every fresh process
    /// compiled it in the JIT.
    /// </summary>
    private static void SortSmall(Span<long> values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            var value = values[i];
            var j = i - 1;
            while (j >= 0 && values[j] > value)
            {
                values[j + 1] = values[j];
                j--;
            }
            values[j + 1] = value;
        }
    }

    /// <summary>Passes of the same load without conflicts: its distinct words over the banks, at least its return passes.</summary>
    private static int IdealPasses(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        // Remembered like the passes themselves: the return passes walk the warp's lanes, for every staged read of every state.
        var question = new WarpAccessMemo.Question(3, lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p.WarpSize, p.SharedMemoryBanks);
        var memo = WarpAccessMemo.Current;
        return memo.Find(question) is var known and > 0 ? known : memo.Keep(question, CountIdealPasses(lanes, strideLane, threadsX, strideX, threadsY, strideY, width, p));
    }

    private static int CountIdealPasses(int lanes, long strideLane, int threadsX, long strideX, int threadsY, long strideY, int width, HardwareProfile p)
    {
        var distinct = Math.Min(p.WarpSize, Math.Max(1, (strideLane != 0 ? lanes : 1) * (strideX != 0 ? threadsX : 1) * (strideY != 0 ? threadsY : 1))) * width;
        Span<long> starts = stackalloc long[p.WarpSize];
        LaneStarts(lanes, strideLane, threadsX, strideX, threadsY, strideY, starts);
        return (int)Math.Max(ReturnPasses(starts, width), Math.Ceiling(distinct / (double)p.SharedMemoryBanks));
    }

    // In long: an extent near int.MaxValue plus a tile would wrap to a negative count (and a negative estimate).
    private static long Tiles(int extent, int tile) => ((long)extent + tile - 1) / tile;

    private static long SectorsFor(long elements, int sector) => (elements * sizeof(float) + sector - 1) / sector;

    private static double LatencyEfficiency(long residentWarps, int ilp) => Math.Min(1.0, residentWarps * ilp / LatencyTarget);

    private struct Terms
    {
        public double TotalMs, DramMs, L2Ms, SmMs, OverlapMs, DramBytes, L2Bytes, SharedBytes, L1Bytes;
        public long Blocks, Stages, Rounds;
        public int BlocksPerSm, Registers, ActiveSms;
        public long SharedBytesPerBlock;
        public string Limiter;
        public double LatencyEfficiency, TailEfficiency, InFlightPerSm, NeededPerSm, AchievedFraction, CopyWaitMs;
        public double PassesPerStage, ConflictFactor, InstructionsPerStage, FmaPerStage, LoadsPerStage, FmaFraction, ReductionInstructions, Padding, AtomicBytes;
    }
}
