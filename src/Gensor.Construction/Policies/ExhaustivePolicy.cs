using System.Diagnostics;
using Gensor.Construction.Cost;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Diagnostics;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>
/// Every legal schedule of the <see cref="ScheduleSpace"/>, ranked by the cost
/// model: the model's oracle for small spaces, against which the walk is judged.
/// The space's size is computed first; above <see cref="MaxStates"/> the policy
/// refuses rather than run for minutes.
/// </summary>
public sealed class ExhaustivePolicy(long maxStates = ExhaustivePolicy.DefaultMaxStates) : ISchedulePolicy
{
    public const long DefaultMaxStates = 16_000_000;

    public string Name => "exhaustive";

    /// <summary>The largest space this policy enumerates.</summary>
    public long MaxStates { get; } = maxStates;

    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var watch = Stopwatch.StartNew();
        var space = ScheduleSpace.For(op);
        var size = space.Size;
        if (size > MaxStates)
        {
            throw GensorException.BadInput(
                $"the exhaustive policy would enumerate {size} schedules for {op.Name}, above its limit of {MaxStates}; use --policy gensor");
        }
        var spatial = space.Analysis.SpatialRank;
        var triples = new List<(int Block, int Thread, int Vthread)>[spatial];
        for (var i = 0; i < spatial; i++)
        {
            triples[i] = [];
            for (var block = 1; block <= space.BlockCap(i); block *= 2)
            {
                for (var thread = 1; thread <= Math.Min(block, ScheduleSpace.MaxThreadTile); thread *= 2)
                {
                    for (var vthread = 1; vthread <= Math.Min(thread, ScheduleSpace.MaxVirtualThreads); vthread *= 2)
                    {
                        triples[i].Add((block, thread, vthread));
                    }
                }
            }
        }
        var reduceCombos = Combinations(Enumerable.Range(0, space.Analysis.ReduceRank).Select(space.ReduceChoices).ToArray());
        var sharedSets = Subsets(space);
        // Keep the best topK in a max-heap by estimate, and the best of every
        // structure: the ranking wants structurally diverse candidates, and the
        // overall top-k alone is often one structure in many refinements.
        var topK = Math.Max(1, options.TopK);
        var best = new PriorityQueue<RankedSchedule, double>(Comparer<double>.Create((x, y) => y.CompareTo(x)));
        var bestPerStructure = new Dictionary<Schedule, RankedSchedule>();
        var blockAt = new int[spatial];
        var threadAt = new int[spatial];
        var vthreadAt = new int[spatial];

        void Spatial(int axis, long threads)
        {
            if (threads > profile.MaxThreadsPerBlock)
            {
                return; // threads only grow along the remaining axes
            }
            if (axis == spatial)
            {
                var tiles = (ValueArray<int>)blockAt.ToArray();
                var threadTiles = (ValueArray<int>)threadAt.ToArray();
                var vthreads = (ValueArray<int>)vthreadAt.ToArray();
                foreach (var reduce in reduceCombos)
                {
                    foreach (var shared in sharedSets)
                    {
                        foreach (var (vector, padding, prefetch, buffers, asyncCopy) in ScheduleSpace.CopyVariants(shared.Count > 0))
                        foreach (var run in space.ReduceRuns(shared.Count > 0))
                        foreach (var lanes in space.ReduceThreads)
                        foreach (var split in space.Splits)
                        {
                            var schedule = new Schedule(tiles, threadTiles, vthreads, reduce, shared, vector)
                            {
                                SharedPadding = padding,
                                RegisterPrefetch = prefetch,
                                SharedBuffers = buffers,
                                AsyncCopy = asyncCopy,
                                ReduceThreads = lanes,
                                ReduceRun = run,
                                SplitReduce = split,
                            };
                            if (Legality.Check(op, schedule, profile) is not null)
                            {
                                continue;
                            }
                            var estimate = CostModel.EstimateMs(op, schedule, profile);
                            var structure = Ranking.StructureOf(schedule);
                            if (!bestPerStructure.TryGetValue(structure, out var incumbent) || estimate < incumbent.EstimatedMs)
                            {
                                bestPerStructure[structure] = new RankedSchedule(schedule, estimate);
                            }
                            if (best.Count < topK)
                            {
                                best.Enqueue(new RankedSchedule(schedule, estimate), estimate);
                            }
                            else if (best.TryPeek(out _, out var worst) && estimate < worst)
                            {
                                best.EnqueueDequeue(new RankedSchedule(schedule, estimate), estimate);
                            }
                        }
                    }
                }
                return;
            }
            foreach (var (b, t, v) in triples[axis])
            {
                blockAt[axis] = b;
                threadAt[axis] = t;
                vthreadAt[axis] = v;
                Spatial(axis + 1, threads * (b / t));
            }
        }

        Spatial(0, 1);
        var ranked = Ranking.TopRanked(best.UnorderedItems.Select(item => item.Element).Concat(bestPerStructure.Values).Distinct(), topK);
        return new ConstructionResult(Name, ranked, (int)Math.Min(int.MaxValue, size), watch.Elapsed.TotalMilliseconds);
    }

    private static List<ValueArray<int>> Combinations(IReadOnlyList<int>[] choices)
    {
        var result = new List<ValueArray<int>> { ValueArray<int>.Empty };
        foreach (var axisChoices in choices)
        {
            result = [.. result.SelectMany(prefix => axisChoices.Select(choice => ValueArray.From(prefix.Append(choice))))];
        }
        return result;
    }

    private static List<ValueArray<string>> Subsets(ScheduleSpace space)
    {
        var inputs = space.StageableInputs;
        var subsets = new List<ValueArray<string>>();
        for (var mask = 0; mask < 1 << inputs.Count; mask++)
        {
            subsets.Add(ValueArray.From(inputs.Where((_, i) => (mask & (1 << i)) != 0)));
        }
        return subsets;
    }
}
