using System.Numerics;
using System.Runtime.CompilerServices;
using Gensor.Analysis;
using Gensor.Etir;

namespace Gensor.Construction.Space;

/// <summary>
/// The set of schedules every policy moves in, so that their results compare
/// fairly: the exhaustive policy enumerates exactly this set, the primitives
/// never leave it, and the gensor walk therefore explores a subgraph of it.
/// <list type="bullet">
/// <item>block tile: powers of two from 1 up to the extent rounded up to a power of two, at most <see cref="MaxBlockTile"/>
/// (a larger tile only adds guarded, idle threads);</item>
/// <item>thread tile: powers of two dividing the block tile, at most <see cref="MaxThreadTile"/>
/// (16 accumulators per axis already fill the register file for 2-D tiles);</item>
/// <item>virtual threads: powers of two dividing the thread tile, at most <see cref="MaxVirtualThreads"/>
/// (4 strided sub-tiles suffice to break a 4-way bank conflict; more only shrink the contiguous chunk);</item>
/// <item>reduce step: powers of two up to the extent, plus the extent itself (a 3-wide window in one stage);</item>
/// <item>any subset of the stageable inputs; vector width 1, 2 or 4, row padding 0 or 4,
/// register prefetch off or on, and with it one or two shared buffers;</item>
/// <item>reduce threads (<see cref="Schedule.ReduceThreads"/>): 1, or for an operator with a
/// reduction 4, 32 or 128 (a few lanes, a warp, four warps), where they divide the reduce step;</item>
/// <item>reduce run (<see cref="Schedule.ReduceRun"/>): 1, or 4 with staged inputs where a stageable input is
/// contiguous along the innermost reduce axis (a run keeps its box in the tensor's order) and that axis's extent is a
/// multiple of 4;</item>
/// <item>split reduction (<see cref="Schedule.SplitReduce"/>): 1, or 2 to 16 blocks per tile for a float32
/// sum with no epilogue, an output of at most <see cref="MaxSplitOutputs"/> elements and at least
/// <see cref="MinSplitPoints"/> reduce points per slice.</item>
/// </list>
/// </summary>
public sealed class ScheduleSpace
{
    public const int MaxBlockTile = 256;
    public const int MaxThreadTile = 16;
    public const int MaxVirtualThreads = 4;

    private static readonly int[] VectorWidths = [1, 2, 4];

    private static readonly (int Vector, int Padding, bool RegisterPrefetch, int Buffers, bool Async)[] Unstaged = [(1, 0, false, 1, false)];

    /// <summary>Shared-row padding choices: none, or 4 words (keeps rows 16-byte aligned).</summary>
    public static readonly int[] Paddings = [0, 4];

    private static readonly (int Vector, int Padding, bool RegisterPrefetch, int Buffers, bool Async)[] StagedVariants = BuildStagedVariants();

    /// <summary>
    /// Every vector width and padding, each with no prefetch, prefetch, prefetch into two buffers, and
    /// asynchronous copies into two buffers (legal on sm_80 and later profiles only, <see cref="Legality"/>).
    /// Loops rather than a query: a query over these tuples instantiates some forty framework methods
    /// that no ReadyToRun image holds, which the JIT compiled in every fresh process.
    /// </summary>
    private static (int Vector, int Padding, bool RegisterPrefetch, int Buffers, bool Async)[] BuildStagedVariants()
    {
        var variants = new (int Vector, int Padding, bool RegisterPrefetch, int Buffers, bool Async)[VectorWidths.Length * Paddings.Length * 4];
        var i = 0;
        foreach (var vector in VectorWidths)
        {
            foreach (var padding in Paddings)
            {
                variants[i++] = (vector, padding, false, 1, false);
                variants[i++] = (vector, padding, true, 1, false);
                variants[i++] = (vector, padding, true, 2, false);
                variants[i++] = (vector, padding, false, 2, true);
            }
        }
        return variants;
    }

    /// <summary>Reduce-thread choices for an operator with a reduction: one thread, a few lanes, a warp, four warps.</summary>
    public static readonly int[] ReduceThreadChoices = [1, 4, 32, 128];

    /// <summary>Reduce-run choices for an operator with a stageable input contiguous along its innermost reduce axis.</summary>
    public static readonly int[] ReduceRunChoices = [1, 4];

    /// <summary>Split-reduction choices (blocks per block tile) for an operator that may split.</summary>
    public static readonly int[] SplitChoices = [1, 2, 4, 8, 16];

    /// <summary>
    /// The largest output whose reduction is split. A GPU holds about 2^18 threads at once
    /// (an H100: 132 SMs × 2048); an output of 2^21 elements already gives each of them 8,
    /// so a split would only add atomic traffic.
    /// </summary>
    public const long MaxSplitOutputs = 1L << 21;

    /// <summary>Reduce points a slice keeps at least: fewer, and the atomic additions cost more than the slice saves.</summary>
    public const long MinSplitPoints = 64;

    // Per operator instance, like OperatorAnalysis: primitives ask for the space on every application.
    private static readonly ConditionalWeakTable<Operator, ScheduleSpace> Cache = [];

    private readonly int[][] _reduceChoices;
    private readonly int[] _blockCaps;
    private readonly int[] _splits;
    private readonly int[] _reduceRuns;

    private ScheduleSpace(Operator op)
    {
        Operator = op;
        Analysis = OperatorAnalysis.Of(op);
        _blockCaps = new int[Analysis.SpatialRank];
        for (var i = 0; i < _blockCaps.Length; i++)
        {
            // In 64 bits: an extent above 2^30 rounds up to 2^31, which is no int.
            _blockCaps[i] = (int)Math.Min(MaxBlockTile, BitOperations.RoundUpToPowerOf2((ulong)Analysis.Extents[i]));
        }
        _reduceChoices = new int[Analysis.ReduceRank][];
        for (var j = 0; j < _reduceChoices.Length; j++)
        {
            var extent = Analysis.Extents[Analysis.SpatialRank + j];
            var choices = new List<int>();
            for (long step = 1; step <= extent; step *= 2)
            {
                choices.Add((int)step);
            }
            if (choices[^1] != extent)
            {
                choices.Add(extent);
            }
            _reduceChoices[j] = [.. choices];
        }
        var stageable = new List<string>();
        for (var r = 0; r < Analysis.ReadCount; r++)
        {
            if (Analysis.IsStageable(r) && !stageable.Contains(Analysis.ReadTensor(r)))
            {
                stageable.Add(Analysis.ReadTensor(r));
            }
        }
        _splits = Analysis.CanSplitReduction && op.Output.ElementCount <= MaxSplitOutputs ? [.. SplitChoices.Where(split => op.ReductionLength / split >= MinSplitPoints || split == 1)] : [1];
        // A run needs a step of whole runs that divides the innermost reduce axis: its extent a multiple of 4
        // (a 3x3 window's s never is).
        var reorders = false;
        for (var r = 0; r < Analysis.ReadCount; r++)
        {
            reorders |= Analysis.IsStageable(r) && Analysis.RunReorders(r);
        }
        _reduceRuns = reorders && Analysis.Extents[^1] % ReduceRunChoices[^1] == 0 ? ReduceRunChoices : [1];
        // Input order, so that a schedule's SharedInputs list is canonical.
        StageableInputs = [.. op.Inputs.Select(input => input.Name).Where(stageable.Contains)];
    }

    /// <summary>The space of <paramref name="op"/>'s schedules.</summary>
    public static ScheduleSpace For(Operator op) => Cache.GetValue(op, static o => new ScheduleSpace(o));

    public Operator Operator { get; }

    public OperatorAnalysis Analysis { get; }

    /// <summary>Inputs that may be staged in shared memory, in input order.</summary>
    public IReadOnlyList<string> StageableInputs { get; }

    /// <summary>
    /// The copy choices (vector width, shared-row padding, prefetch, buffers, asynchronous copies) of a schedule
    /// that stages something, or only the defaults when nothing is staged: then
    /// there is no copy, and schedules that differ only in them are one program.
    /// </summary>
    public static IReadOnlyList<(int Vector, int Padding, bool RegisterPrefetch, int Buffers, bool Async)> CopyVariants(bool anyStaged) =>
        anyStaged ? StagedVariants : Unstaged;

    /// <summary>The reduce-thread choices of this operator: only 1 without a reduction.</summary>
    public IReadOnlyList<int> ReduceThreads => Analysis.ReduceRank > 0 && Operator.Reduction != Reduction.None ? ReduceThreadChoices : [1];

    /// <summary>
    /// The reduce-run choices of a schedule of this operator that stages something (<paramref name="anyStaged"/>):
    /// <see cref="ReduceRunChoices"/>, or only 1 when no stageable input is stored otherwise under a run; a schedule
    /// that stages nothing has run 1 (as <see cref="CopyVariants"/> has only the defaults).
    /// </summary>
    public IReadOnlyList<int> ReduceRuns(bool anyStaged) => anyStaged ? _reduceRuns : NoRun;

    private static readonly int[] NoRun = [1];

    /// <summary>The split-reduction choices of this operator, ascending: only 1 when it may not split.</summary>
    public IReadOnlyList<int> Splits => _splits;

    /// <summary>The largest block tile along spatial axis <paramref name="axis"/>.</summary>
    public int BlockCap(int axis) => _blockCaps[axis];

    /// <summary>The reduce steps allowed along reduce axis <paramref name="axis"/>, ascending.</summary>
    public IReadOnlyList<int> ReduceChoices(int axis) => _reduceChoices[axis];

    /// <summary>
    /// Number of schedules in the space (legal or not), computed from the
    /// choices per axis without enumerating them; saturates at <see cref="long.MaxValue"/>.
    /// </summary>
    public long Size
    {
        get
        {
            var size = 1.0;
            foreach (var cap in _blockCaps)
            {
                size *= TileChoices(cap);
            }
            foreach (var choices in _reduceChoices)
            {
                size *= choices.Length;
            }
            size *= 1 + (Math.Pow(2, StageableInputs.Count) - 1) * StagedVariants.Length * _reduceRuns.Length;
            size *= ReduceThreads.Count;
            size *= _splits.Length;
            return size >= long.MaxValue ? long.MaxValue : (long)size;
        }
    }

    /// <summary>(block, thread, vthread) triples along one axis whose block tile is at most <paramref name="cap"/>.</summary>
    public static long TileChoices(int cap)
    {
        long count = 0;
        for (var block = 1; block <= cap; block *= 2)
        {
            for (var thread = 1; thread <= Math.Min(block, MaxThreadTile); thread *= 2)
            {
                for (var vthread = 1; vthread <= Math.Min(thread, MaxVirtualThreads); vthread *= 2)
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>Whether <paramref name="schedule"/> lies in the space (legality is a separate question).</summary>
    public bool Contains(Schedule schedule)
    {
        if (schedule.BlockTile.Count != _blockCaps.Length || schedule.ReduceStep.Count != _reduceChoices.Length)
        {
            return false;
        }
        for (var i = 0; i < _blockCaps.Length; i++)
        {
            int block = schedule.BlockTile[i], thread = schedule.ThreadTile[i], vthread = schedule.VirtualThreads[i];
            if (!IsPowerOfTwo(block) || block > _blockCaps[i] || !IsPowerOfTwo(thread) || thread > Math.Min(block, MaxThreadTile)
                || !IsPowerOfTwo(vthread) || vthread > Math.Min(thread, MaxVirtualThreads))
            {
                return false;
            }
        }
        for (var j = 0; j < _reduceChoices.Length; j++)
        {
            if (Array.IndexOf(_reduceChoices[j], schedule.ReduceStep[j]) < 0)
            {
                return false;
            }
        }
        return schedule.SharedInputs.All(StageableInputs.Contains)
            && ReduceThreads.Contains(schedule.ReduceThreads)
            && _splits.Contains(schedule.SplitReduce)
            && ReduceRuns(schedule.SharedInputs.Count > 0).Contains(schedule.ReduceRun)
            && CopyVariants(schedule.SharedInputs.Count > 0).Contains((schedule.VectorWidth, schedule.SharedPadding, schedule.RegisterPrefetch, schedule.SharedBuffers, schedule.AsyncCopy));
    }

    /// <summary>The shared-input list holding exactly <paramref name="tensors"/>, in canonical (input) order.</summary>
    public ValueArray<string> CanonicalShared(IEnumerable<string> tensors)
    {
        // A loop over a handful of names: primitives call this for every state they toggle.
        var given = tensors as ICollection<string> ?? [.. tensors];
        var staged = new List<string>(StageableInputs.Count);
        foreach (var name in StageableInputs)
        {
            if (given.Contains(name))
            {
                staged.Add(name);
            }
        }
        return ValueArray.From(staged);
    }

    private static bool IsPowerOfTwo(int value) => value > 0 && (value & (value - 1)) == 0;
}
