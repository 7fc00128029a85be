using System.Diagnostics;
using Gensor.Analysis;
using Gensor.Construction.Cost;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>
/// The tree-based construction of Roller (Zhu et al., OSDI'22), the baseline.
/// Follows the paper and its artifact (<c>microsoft/nnfusion</c>,
/// <c>artifacts/roller/construct_algo.py</c>): a depth-first construction from
/// a hardware-aligned rTile, one memory level at a time.
/// <list type="number">
/// <item>Alignment (paper §4.1): the tile starts at one point per axis except
/// the reduction axes and the spatial axes running along some tensor's
/// contiguous dimension, which start at a 32-byte sector (8 floats, or the
/// axis length if shorter) so every load is a whole transaction, as the
/// artifact's <c>GetAlignedSteps</c> does; steps are powers of two (our space's alignment).</item>
/// <item>Scale-up (§4.2, <c>IncreaseTile</c>): at the shared-memory level the
/// block tile grows along the axis with the best data reuse score
/// S_i = (Q(T) - Q(T'_i)) / (F(T'_i) - F(T)), where Q is the global traffic of the
/// whole operator under tile T and F the staged footprint; axes are tried in
/// score order, a step over the capacity is skipped, and a tile is emitted once
/// it is compute bound (its arithmetic intensity reaches the profile's
/// FLOP-per-byte balance) or can grow no more. An emitted block tile then
/// scales up its thread (register) tile the same way, with Q the shared-to-register
/// loads and F the registers (the estimate legality applies to the whole program),
/// keeping the thread count a multiple of the warp.</item>
/// <item>Scale-out (§4.3): the grid should fill the SMs; a tile with fewer
/// blocks than SMs is halved along its widest axis until it does, its thread tile
/// with it so the block keeps its warps (our reading).</item>
/// <item>Up to <see cref="TopK"/> programs are constructed, each with the padding of its staged
/// rows the model rates best, and ranked by the micro performance model, here our <see cref="CostModel"/>.</item>
/// </list>
/// Roller's space has no virtual threads; every stageable input is staged (its
/// rTile lives in shared memory), and the copy is vectorized as wide as the
/// staged rows allow.
/// </summary>
public sealed class RollerPolicy : ISchedulePolicy
{
    /// <summary>Programs constructed before stopping, as in Roller's artifact.</summary>
    public const int TopK = 10;

    /// <summary>Bound on tiles examined, so a pathological operator cannot make the tree search run long.</summary>
    public const int MaxNodes = 20_000;

    /// <summary>Elements per 32-byte sector, Roller's transaction alignment.</summary>
    public const int AlignedElements = 8;

    public string Name => "roller";

    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var watch = Stopwatch.StartNew();
        var builder = new Builder(op, profile);
        builder.ScaleUpBlock(builder.InitialTile());
        var schedules = builder.Results.Select(builder.ScaleOut).Where(s => s is not null).Select(s => builder.Padded(s!)).Distinct().ToList();
        if (schedules.Count == 0 && NaivePolicy.LegalScheduleFor(op, profile) is { } naive)
        {
            schedules.Add(naive);
        }
        var ranked = Ranking.Top(op, profile, schedules, options.TopK);
        return new ConstructionResult(Name, ranked, builder.Nodes, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// The data reuse score of growing <paramref name="tile"/> (block tile, then reduce steps) along
    /// <paramref name="slot"/> to <paramref name="step"/>, at the shared-memory level.
    /// </summary>
    public static double BlockReuseScore(Operator op, IReadOnlyList<int> tile, int slot, int step)
    {
        var a = OperatorAnalysis.Of(op);
        var current = tile.ToArray();
        var grown = tile.ToArray();
        grown[slot] = step;
        return Score(GlobalTraffic(a, current), GlobalTraffic(a, grown), StagedBytes(a, current), StagedBytes(a, grown));
    }

    private static double Score(double q, double qGrown, double f, double fGrown)
    {
        var saved = q - qGrown;
        var cost = fGrown - f;
        return cost <= 0 ? (saved > 0 ? double.PositiveInfinity : 0) : saved / cost;
    }

    /// <summary>Q at the block level: bytes every tile of the operator reads (inputs per stage, output once).</summary>
    private static double GlobalTraffic(OperatorAnalysis a, int[] tile)
    {
        double tiles = 1, spatialTiles = 1, output = 1;
        for (var slot = 0; slot < a.AxisCount; slot++)
        {
            var count = Math.Ceiling((double)a.Extents[slot] / tile[slot]);
            tiles *= count;
            if (slot < a.SpatialRank)
            {
                spatialTiles *= count;
                output *= Math.Min(tile[slot], a.Extents[slot]);
            }
        }
        double perTile = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            perTile += a.Footprint(r, tile, clamp: true);
        }
        return (tiles * perTile + spatialTiles * output) * sizeof(float);
    }

    /// <summary>F at the block level: shared bytes when every stageable read is staged.</summary>
    private static double StagedBytes(OperatorAnalysis a, int[] tile)
    {
        double bytes = 0;
        for (var r = 0; r < a.ReadCount; r++)
        {
            if (a.IsStageable(r))
            {
                bytes += a.Footprint(r, tile, clamp: false) * sizeof(float);
            }
        }
        return bytes;
    }

    /// <summary>
    /// One way to grow a tile: its score, the axis it grows along, and the grown tile. A class, not a
    /// tuple: a list of tuples is a framework generic that no ReadyToRun image holds, compiled by the
    /// JIT in every fresh process, while a list of references shares precompiled code.
    /// </summary>
    private sealed record Growth(double Score, int Axis, int[] Tile)
    {
        /// <summary>Highest score first; among equal scores the higher axis (the innermost, contiguous one).</summary>
        public static int BestFirst(Growth x, Growth y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : y.Axis.CompareTo(x.Axis);
    }

    private sealed class Builder(Operator op, HardwareProfile profile)
    {
        private readonly ScheduleSpace _space = ScheduleSpace.For(op);
        private readonly HashSet<string> _seenBlocks = [];
        private readonly HashSet<string> _seenThreads = [];
        private readonly int _minThreads = Math.Max(profile.WarpSize, profile.MinThreadsPerBlock);

        private OperatorAnalysis A => _space.Analysis;

        /// <summary>
        /// A tile as text, to remember the tiles seen. Written out: string.Join over integers is a
        /// framework generic that no ReadyToRun image holds, and the JIT compiled it fully optimised
        /// in every fresh process.
        /// </summary>
        private static string Key(int[] tile)
        {
            var text = new System.Text.StringBuilder(tile.Length * 4);
            foreach (var size in tile)
            {
                text.Append(size).Append(',');
            }
            return text.ToString();
        }

        public List<Schedule> Results { get; } = [];

        public int Nodes { get; private set; }

        private bool Done => Results.Count >= TopK || Nodes >= MaxNodes;

        public int[] InitialTile()
        {
            var tile = new int[A.AxisCount];
            for (var slot = 0; slot < A.AxisCount; slot++)
            {
                // Roller's artifact (policy_rt.py, GetAlignedSteps) aligns every
                // reduction axis to the transaction at the shared-memory level (at most
                // its length), and among spatial axes the ones some tensor is contiguous along.
                var aligned = slot >= A.SpatialRank || slot == A.SpatialRank - 1;
                for (var r = 0; r < A.ReadCount && !aligned; r++)
                {
                    aligned = Math.Abs(A.AddressStride(r, slot)) == 1;
                }
                tile[slot] = aligned ? Largest(Steps(slot), AlignedElements) : 1;
            }
            return tile;
        }

        public void ScaleUpBlock(int[] tile)
        {
            if (Done || !_seenBlocks.Add(Key(tile)))
            {
                return;
            }
            Nodes++;
            var capacity = (double)Legality.SharedMemoryLimit(profile);
            var q = GlobalTraffic(A, tile);
            var f = StagedBytes(A, tile);
            var candidates = new List<Growth>();
            for (var slot = 0; slot < A.AxisCount; slot++)
            {
                var next = NextStep(slot, tile[slot]);
                if (next is null)
                {
                    continue;
                }
                var grown = (int[])tile.Clone();
                grown[slot] = next.Value;
                candidates.Add(new Growth(Score(q, GlobalTraffic(A, grown), f, StagedBytes(A, grown)), slot, grown));
            }
            // Highest score first; among equal scores the innermost axis (contiguous, coalesced) first.
            candidates.Sort(Growth.BestFirst);
            var grew = false;
            foreach (var (_, _, grown) in candidates)
            {
                if (Done)
                {
                    return;
                }
                if (StagedBytes(A, grown) > capacity)
                {
                    continue;
                }
                grew = true;
                if (ComputeBound(grown))
                {
                    ScaleUpThread(grown);
                }
                else
                {
                    ScaleUpBlock(grown);
                }
            }
            if (!grew)
            {
                // The memory level is full (or the space ends): this tile is final at this level.
                ScaleUpThread(tile);
            }
        }

        private void ScaleUpThread(int[] blockTile)
        {
            var thread = Enumerable.Repeat(1, A.SpatialRank).ToArray();
            ScaleUpThread(blockTile, thread);
        }

        private void ScaleUpThread(int[] blockTile, int[] thread)
        {
            if (Done || !_seenThreads.Add(Key(blockTile) + "|" + Key(thread)))
            {
                return;
            }
            Nodes++;
            var q = RegisterTraffic(blockTile, thread);
            var f = (double)Registers(blockTile, thread);
            var candidates = new List<Growth>();
            for (var axis = 0; axis < A.SpatialRank; axis++)
            {
                if (thread[axis] * 2 > Math.Min(blockTile[axis], ScheduleSpace.MaxThreadTile))
                {
                    continue;
                }
                var grown = (int[])thread.Clone();
                grown[axis] *= 2;
                candidates.Add(new Growth(Score(q, RegisterTraffic(blockTile, grown), f, Registers(blockTile, grown)), axis, grown));
            }
            candidates.Sort(Growth.BestFirst);
            var grew = false;
            foreach (var (_, _, grown) in candidates)
            {
                if (Done)
                {
                    return;
                }
                var threads = Threads(blockTile, grown);
                // Warp alignment: a block keeps whole warps, and the profile's fewest threads per block
                // (unless the tile itself is smaller than that).
                var registers = Registers(blockTile, grown);
                if (registers > profile.MaxRegistersPerThread
                    || (threads < _minThreads && Threads(blockTile, thread) >= _minThreads)
                    || (long)registers * Math.Min(threads, profile.MaxThreadsPerBlock) > profile.RegistersPerMultiprocessor)
                {
                    continue;
                }
                grew = true;
                if (threads <= profile.MaxThreadsPerBlock && RegisterBound(grown))
                {
                    Emit(blockTile, grown);
                }
                else
                {
                    ScaleUpThread(blockTile, grown);
                }
            }
            if (!grew && Threads(blockTile, thread) <= profile.MaxThreadsPerBlock)
            {
                Emit(blockTile, thread);
            }
        }

        private void Emit(int[] blockTile, int[] thread) => Results.Add(ScheduleOf(blockTile, thread));

        /// <summary>The program a block and thread tile make in Roller's space: every stageable input staged, the copy as wide as aligned.</summary>
        private Schedule ScheduleOf(int[] blockTile, int[] thread)
        {
            var spatial = A.SpatialRank;
            var schedule = new Schedule(
                blockTile[..spatial],
                thread,
                Enumerable.Repeat(1, spatial).ToArray(),
                blockTile[spatial..],
                _space.CanonicalShared(_space.StageableInputs),
                1);
            return schedule with { VectorWidth = AlignedVector(schedule) };
        }

        /// <summary>Scale-out: halve the widest block tile (and its thread tile) until the grid covers every SM; null if that leaves it illegal.</summary>
        public Schedule? ScaleOut(Schedule schedule)
        {
            var block = schedule.BlockTile.ToArray();
            var thread = schedule.ThreadTile.ToArray();
            while (Blocks(block) < profile.Multiprocessors)
            {
                var widest = -1;
                for (var i = 0; i < block.Length; i++)
                {
                    if (block[i] > 1 && (widest < 0 || block[i] > block[widest]))
                    {
                        widest = i;
                    }
                }
                if (widest < 0)
                {
                    break;
                }
                // The thread tile shrinks with the block tile while it can, so the block keeps its
                // threads (whole warps) and only the work per thread falls.
                block[widest] /= 2;
                thread[widest] = Math.Max(1, thread[widest] / 2);
            }
            var scaled = schedule with { BlockTile = block, ThreadTile = thread };
            scaled = scaled with { VectorWidth = AlignedVector(scaled) };
            return Fit(scaled) ?? Fit(schedule);
        }

        /// <summary>
        /// The schedule with the row padding of the space that the model rates best, fitted again
        /// (our choice): the lowering stores some staged boxes transposed (a matrix product's A
        /// k-major, a convolution's weights filter-innermost), which Roller's own kernels do not, and
        /// a padded row is what keeps their copy stores off a few banks.
        /// </summary>
        public Schedule Padded(Schedule schedule)
        {
            if (schedule.SharedInputs.Count == 0)
            {
                return schedule;
            }
            var best = schedule;
            var cost = CostModel.EstimateMs(op, schedule, profile);
            foreach (var padding in ScheduleSpace.Paddings)
            {
                if (Fit(schedule with { SharedPadding = padding }) is { } padded && CostModel.EstimateMs(op, padded, profile) is var estimate && estimate < cost)
                {
                    (best, cost) = (padded, estimate);
                }
            }
            return best;
        }

        /// <summary>
        /// The schedule, or its reduce steps halved until it fits the hardware (shared memory
        /// and registers for the occupancy goal); null if even one-point steps do not fit.
        /// Roller sizes its tiles against one block's shared memory; the SM must hold more than one.
        /// </summary>
        private Schedule? Fit(Schedule schedule)
        {
            while (Legality.Check(op, schedule, profile) is not null)
            {
                var widest = -1;
                for (var j = 0; j < schedule.ReduceStep.Count; j++)
                {
                    if (schedule.ReduceStep[j] > 1 && (widest < 0 || schedule.ReduceStep[j] > schedule.ReduceStep[widest]))
                    {
                        widest = j;
                    }
                }
                if (widest < 0)
                {
                    return null;
                }
                var smaller = _space.ReduceChoices(widest).Where(step => step < schedule.ReduceStep[widest]).DefaultIfEmpty(1).Max();
                schedule = schedule with { ReduceStep = schedule.ReduceStep.SetItem(widest, smaller) };
                schedule = schedule with { VectorWidth = AlignedVector(schedule) };
            }
            return schedule;
        }

        /// <summary>The widest copy vector with which every staged box moves in aligned vectors (<see cref="CopyPlan"/>); 1 if none.</summary>
        private int AlignedVector(Schedule schedule)
        {
            if (schedule.SharedInputs.Count == 0)
            {
                return 1;
            }
            foreach (var width in new[] { 4, 2 })
            {
                var widened = schedule with { VectorWidth = width };
                var aligned = true;
                for (var r = 0; r < A.ReadCount; r++)
                {
                    if (schedule.IsShared(A.ReadTensor(r)) && !A.Copy(r, widened).VectorLoad)
                    {
                        aligned = false;
                    }
                }
                if (aligned)
                {
                    return width;
                }
            }
            return 1;
        }

        private long Blocks(int[] block)
        {
            long blocks = 1;
            for (var i = 0; i < block.Length; i++)
            {
                blocks *= (A.Extents[i] + block[i] - 1) / block[i];
            }
            return blocks;
        }

        /// <summary>
        /// The artifact's stopping test (<c>IsPeakComputeTile</c> and
        /// <c>MemLatency &lt;= ComputeLatency</c>): the tile's multiply-adds per
        /// byte reach the profile's balance, and one stage's compute on an SM
        /// covers the latency of its loads (global latency plus its bytes at the
        /// SM's share of DRAM bandwidth).
        /// </summary>
        private bool ComputeBound(int[] tile)
        {
            double points = 1, bytes = 0;
            foreach (var extent in tile)
            {
                points *= extent;
            }
            for (var r = 0; r < A.ReadCount; r++)
            {
                bytes += A.Footprint(r, tile, clamp: true) * sizeof(float);
            }
            var fmaPerSm = profile.PeakGflops * 1e9 / 2 / profile.Multiprocessors;
            var bytesPerSm = profile.DramBandwidthGBs * 1e9 / profile.Multiprocessors;
            var peakCompute = points / bytes >= profile.PeakGflops / 2 / profile.DramBandwidthGBs;
            var memoryLatency = profile.MemoryLatencyNs * 1e-9 + bytes / bytesPerSm;
            return peakCompute && memoryLatency <= points / fmaPerSm;
        }

        /// <summary>Compute bound at the register level: multiply-adds per shared load reach what shared bandwidth sustains.</summary>
        private bool RegisterBound(int[] thread)
        {
            var outputs = thread.Aggregate(1, (product, t) => product * t);
            // Shared memory serves 32 banks x 4 bytes per clock against 2 flops per FP32 lane.
            var sharedBytesPerFlop = profile.SharedMemoryBanks * 4.0 / (2 * profile.Fp32LanesPerMultiprocessor);
            return outputs / OperandsPerPoint(thread) >= sizeof(float) / (2 * sharedBytesPerFlop);
        }

        private double RegisterTraffic(int[] blockTile, int[] thread) => Threads(blockTile, thread) * OperandsPerPoint(thread);

        private double OperandsPerPoint(int[] thread)
        {
            Span<int> tile = stackalloc int[A.AxisCount];
            for (var slot = 0; slot < A.AxisCount; slot++)
            {
                tile[slot] = slot < A.SpatialRank ? thread[slot] : 1;
            }
            double operands = 0;
            for (var r = 0; r < A.ReadCount; r++)
            {
                operands += A.Footprint(r, tile, clamp: false);
            }
            return operands;
        }

        /// <summary>Registers of the program the tiles make: the one estimate legality applies.</summary>
        private int Registers(int[] blockTile, int[] thread) => A.RegistersPerThread(ScheduleOf(blockTile, thread));

        private static long Threads(int[] blockTile, int[] thread) => Schedule.ThreadCount(blockTile, thread);

        private IReadOnlyList<int> Steps(int slot)
        {
            if (slot >= A.SpatialRank)
            {
                return _space.ReduceChoices(slot - A.SpatialRank);
            }
            var steps = new List<int>();
            for (var step = 1; step <= _space.BlockCap(slot); step *= 2)
            {
                steps.Add(step);
            }
            return steps;
        }

        private int? NextStep(int slot, int current)
        {
            foreach (var step in Steps(slot))
            {
                if (step > current)
                {
                    return step;
                }
            }
            return null;
        }

        private static int Largest(IReadOnlyList<int> steps, int atMost)
        {
            var best = steps[0];
            foreach (var step in steps)
            {
                if (step <= atMost)
                {
                    best = step;
                }
            }
            // A window smaller than a sector (3 wide) is taken whole.
            return steps[^1] < atMost ? steps[^1] : best;
        }
    }
}
