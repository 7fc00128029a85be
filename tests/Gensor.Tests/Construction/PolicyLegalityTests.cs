using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Xunit;

namespace Gensor.Tests.Construction;

public class PolicyLegalityTests
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (kind, _) in TestOperators.Kinds())
        {
            foreach (var profile in new[] { "h100", "rtx3090", "orin", "cpu" })
            {
                foreach (var policy in new[] { "naive", "roller", "gensor" })
                {
                    data.Add(kind, profile, policy);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_returned_schedule_is_legal(string kind, string profileName, string policyName)
    {
        var op = TestOperators.Kinds().Single(k => k.Name == kind).Operator;
        var profile = ProfileCatalog.Get(profileName);

        var result = PolicyCatalog.Get(policyName).Construct(op, profile, new ConstructionOptions(TopK: 10, Seed: 1));

        Assert.NotEmpty(result.Candidates);
        Assert.All(result.Candidates, candidate => Assert.Null(Legality.Check(op, candidate.Schedule, profile)));
        Assert.All(result.Candidates, candidate => Assert.True(ScheduleSpace.For(op).Contains(candidate.Schedule), candidate.Schedule.ToString()));
    }

    [Theory]
    [InlineData("naive")]
    [InlineData("roller")]
    [InlineData("gensor")]
    [InlineData("exhaustive")]
    public void A_profile_that_allows_no_schedule_gets_no_candidate_from_any_policy(string policyName)
    {
        // One register a thread: no kernel fits. The naive policy offered its one-output-a-thread kernel anyway, and
        // emit wrote it for a target that legality says cannot run it (found by fuzzing profiles).
        var op = TestOperators.Gemm(8, 8, 8);
        var profile = BuiltInProfiles.H100 with { MaxRegistersPerThread = 1 };

        var result = PolicyCatalog.Get(policyName).Construct(op, profile, new ConstructionOptions(TopK: 10, Seed: 1));

        Assert.Empty(result.Candidates);
    }

    [Theory]
    [InlineData("h100")]
    [InlineData("cpu")]
    public void Exhaustive_schedules_are_legal_and_ranked_best_first(string profileName)
    {
        var op = TestOperators.Gemm(64, 32, 16);
        var profile = ProfileCatalog.Get(profileName);

        var result = new ExhaustivePolicy().Construct(op, profile, new ConstructionOptions(TopK: 10));

        Assert.Equal(10, result.Candidates.Count);
        Assert.All(result.Candidates, candidate => Assert.Null(Legality.Check(op, candidate.Schedule, profile)));
        // The first is the model's best; the rest are the best of each structure first (Ranking.TopRanked).
        Assert.Equal(result.Candidates.Min(c => c.EstimatedMs), result.Candidates[0].EstimatedMs);
    }

    [Fact]
    public void Catalog_rejects_an_unknown_policy_listing_the_known_ones()
    {
        var error = Assert.Throws<Gensor.Diagnostics.GensorException>(() => PolicyCatalog.Get("beam"));

        Assert.Contains("beam", error.Message);
        Assert.Contains("gensor, roller, exhaustive, naive", error.Message);
    }
}
