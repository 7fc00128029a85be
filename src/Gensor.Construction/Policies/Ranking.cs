using Gensor.Construction.Cost;
using Gensor.Construction.Profiles;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>Ranks schedules by the cost model, best first; ties broken by the schedule's text so results are deterministic.</summary>
internal static class Ranking
{
    public static IReadOnlyList<RankedSchedule> Top(Operator op, HardwareProfile profile, IEnumerable<Schedule> schedules, int topK) =>
        TopRanked(schedules.Distinct().Select(s => new RankedSchedule(s, CostModel.EstimateMs(op, s, profile))), topK);

    public static IReadOnlyList<RankedSchedule> TopRanked(IEnumerable<RankedSchedule> ranked, int topK)
    {
        var byCost = ranked.OrderBy(candidate => candidate.EstimatedMs).ToArray();
        if (byCost.Length == 0)
        {
            return byCost;
        }
        // Only candidates tied with the k-th need the (costly) text tie-break.
        var threshold = byCost[Math.Min(Math.Max(1, topK), byCost.Length) - 1].EstimatedMs;
        return byCost
            .TakeWhile(candidate => candidate.EstimatedMs <= threshold)
            .OrderBy(candidate => candidate.EstimatedMs)
            .ThenBy(candidate => candidate.Schedule.ToString(), StringComparer.Ordinal)
            .Take(Math.Max(1, topK))
            .ToArray();
    }
}
