using Gensor.Construction.Policies;
using Gensor.Hardware;
using Xunit;

namespace Gensor.Tests.Construction;

public class GensorPolicyTests
{
    [Fact]
    public void The_same_seed_gives_the_same_candidates()
    {
        var op = TestOperators.Conv2d(1, 32, 64, 28, 3, 1, 1);
        var profile = BuiltInProfiles.H100;

        var first = new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: 7));
        var second = new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: 7));

        Assert.Equal(first.Candidates, second.Candidates);
        Assert.Equal(first.StatesVisited, second.StatesVisited);
    }

    [Theory]
    [InlineData("gemm")]
    [InlineData("conv2d")]
    [InlineData("bmm")]
    [InlineData("maxpool")]
    public void Is_never_worse_than_roller_under_the_model(string kind)
    {
        var op = TestOperators.Kinds().Single(k => k.Name == kind).Operator;
        var profile = BuiltInProfiles.H100;

        var gensor = new GensorPolicy().Construct(op, profile, new ConstructionOptions());
        var roller = new RollerPolicy().Construct(op, profile, new ConstructionOptions());

        Assert.True(gensor.Candidates[0].EstimatedMs <= roller.Candidates[0].EstimatedMs);
    }

    [Fact]
    public void Finds_the_exhaustive_optimum_of_a_small_gemm_within_one_percent_visiting_few_states()
    {
        var op = TestOperators.Gemm(64, 32, 16);
        var profile = BuiltInProfiles.A100;

        var gensor = new GensorPolicy().Construct(op, profile, new ConstructionOptions());
        var exhaustive = new ExhaustivePolicy().Construct(op, profile, new ConstructionOptions());

        Assert.True(gensor.Candidates[0].EstimatedMs <= exhaustive.Candidates[0].EstimatedMs * 1.01);
        Assert.True(gensor.StatesVisited < exhaustive.StatesVisited * 0.05);
    }

    [Fact]
    public void Returns_distinct_candidates_in_the_documented_order_of_the_ranking()
    {
        var op = TestOperators.Gemm(512, 512, 512);

        var result = new GensorPolicy().Construct(op, BuiltInProfiles.V100, new ConstructionOptions(TopK: 10));

        // Ranking.TopRanked: the best of each structure first, in cost order, then the rest in cost order.
        var candidates = result.Candidates;
        Assert.Equal(10, candidates.Select(c => c.Schedule).Distinct().Count());
        var firstOfStructure = candidates.Select((c, i) => candidates.Take(i).All(p => Ranking.StructureOf(p.Schedule) != Ranking.StructureOf(c.Schedule))).ToArray();
        var firsts = candidates.Where((_, i) => firstOfStructure[i]).ToArray();
        var rest = candidates.Where((_, i) => !firstOfStructure[i]).ToArray();
        Assert.Equal(firsts.Concat(rest), candidates);
        Assert.Equal(firsts.OrderBy(c => c.EstimatedMs).Select(c => c.EstimatedMs), firsts.Select(c => c.EstimatedMs));
        Assert.Equal(rest.OrderBy(c => c.EstimatedMs).Select(c => c.EstimatedMs), rest.Select(c => c.EstimatedMs));
        Assert.Equal(candidates.Min(c => c.EstimatedMs), candidates[0].EstimatedMs);
    }
}
