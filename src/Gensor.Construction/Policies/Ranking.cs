using Gensor.Construction.Cost;
using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>Ranks schedules by the cost model, best first; ties broken by the schedule's text so results are deterministic.</summary>
public static class Ranking
{
    public static IReadOnlyList<RankedSchedule> Top(Operator op, HardwareProfile profile, IEnumerable<Schedule> schedules, int topK) =>
        TopRanked(schedules.Distinct().Select(s => new RankedSchedule(s, CostModel.EstimateMs(op, s, profile))), topK);

    /// <summary>
    /// The best <paramref name="topK"/>, made structurally diverse: schedules
    /// that differ only in virtual threads or copy details (vector width,
    /// padding, prefetch) often tie under the model, and measuring ten of those
    /// on the device would test the model's one guess ten times. So the best
    /// schedule of each structure (block tile, thread tile, reduce step, staged
    /// inputs) comes first, in cost order, then the rest. The first candidate is
    /// always the model's best.
    /// </summary>
    public static IReadOnlyList<RankedSchedule> TopRanked(IEnumerable<RankedSchedule> ranked, int topK)
    {
        var k = Math.Max(1, topK);
        var byCost = ranked.ToArray();
        // A comparison of references, not keys of doubles beside them: the generic sort of doubles
        // with references is not precompiled in any ReadyToRun image, and every construction ranks.
        Array.Sort(byCost, static (x, y) => x.EstimatedMs.CompareTo(y.EstimatedMs));
        var seen = new HashSet<Schedule>();
        var firsts = new List<RankedSchedule>();
        var rest = new List<RankedSchedule>();
        for (var start = 0; start < byCost.Length && firsts.Count < k; )
        {
            // Equal estimates are ordered by the schedule's text, so results are deterministic.
            // Only the groups reached are ordered: writing the text of every state visited
            // cost more than the walk that visited them.
            var end = start + 1;
            while (end < byCost.Length && byCost[end].EstimatedMs.Equals(byCost[start].EstimatedMs))
            {
                end++;
            }
            var group = byCost[start..end];
            if (group.Length > 1)
            {
                Array.Sort([.. group.Select(c => c.Schedule.ToString())], group, StringComparer.Ordinal);
            }
            foreach (var candidate in group)
            {
                (seen.Add(StructureOf(candidate.Schedule)) ? firsts : rest).Add(candidate);
                if (firsts.Count >= k)
                {
                    break;
                }
            }
            start = end;
        }
        return [.. firsts.Concat(rest).Take(k)];
    }

    /// <summary>
    /// What makes two schedules structurally different programs: their tiles and
    /// staged inputs. Virtual threads, copy details, reduce lanes and splits are
    /// refinements of one structure, so the structure is the schedule with each of
    /// them at its default.
    /// </summary>
    public static Schedule StructureOf(Schedule s) =>
        new(s.BlockTile, s.ThreadTile, Ones(s.VirtualThreads.Count), s.ReduceStep, s.SharedInputs, VectorWidth: 1);

    // Exhaustive enumeration asks for the structure of every state: the arrays of ones are shared.
    private static readonly ValueArray<int>[] OnesByRank = OnesUpTo(8);

    private static ValueArray<int> Ones(int rank) => rank < OnesByRank.Length ? OnesByRank[rank] : OnesUpTo(rank)[rank];

    private static ValueArray<int>[] OnesUpTo(int rank)
    {
        var all = new ValueArray<int>[rank + 1];
        for (var r = 0; r <= rank; r++)
        {
            var ones = new int[r];
            Array.Fill(ones, 1);
            all[r] = ones;
        }
        return all;
    }
}
