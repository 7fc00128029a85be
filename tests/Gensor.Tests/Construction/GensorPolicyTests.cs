using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Construction.Primitives;
using Gensor.Etir;
using Gensor.FrontEnd;
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

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Reaches_the_lane_shared_optimum_of_gpt2s_qkv_gemm_from_a_staged_start(int seed)
    {
        // h100: exhaustive enumeration's optimum (Gensor.Bench, 15 million states) reads A through four
        // lanes per output, a family the walks from Roller's staged tiles rarely reach: without the
        // family descents seeds 0 and 2 ended 1.8% above it, the second with the ShareReductionWork edges too.
        var op = TestOperators.Gemm(1024, 2304, 768);
        var profile = BuiltInProfiles.H100;
        var optimum = CostModel.EstimateMs(op, Schedule.Parse("block=64x32 thread=8x8 reduce=128 shared=B vector=4 pad=4 prefetch=1 buffers=2 rthreads=4"), profile);

        var best = new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: seed)).Candidates[0];

        Assert.True(best.EstimatedMs <= optimum * 1.01, $"seed {seed}: {best.Schedule} at {best.EstimatedMs} ms against {optimum} ms");
    }

    [Fact]
    public void Reaches_batch_32_fcs_whole_warp_lanes_from_its_split_tiles()
    {
        // h100, ResNet-50's batch-32 fc: 32 lanes per output and no split, 11% below the split tiles
        // where every seed of eight ended before the TradeSplitForLanes edges. Of seeds 0-7, 3 reached it
        // with walks starting at temperature 0.2, 5 at 0.1 (GensorPolicy.StartTemperature).
        var op = OperatorBuilder.Build(SpecReader.FromInline("O[b,n] += X[b,k] * W[n,k]", "b=32,n=1000,k=2048", "fc", null));
        var profile = BuiltInProfiles.H100;
        var lanes = CostModel.EstimateMs(op, Schedule.Parse("block=8x32 thread=8x4 reduce=1024 shared=X pad=4 prefetch=1 rthreads=32"), profile);
        var split = CostModel.EstimateMs(op, Schedule.Parse("block=32x128 thread=8x8 reduce=32 shared=X,W vector=4 pad=4 prefetch=1 buffers=2 rthreads=4 split=16"), profile);

        var bests = Enumerable.Range(0, 8)
            .Select(seed => new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: seed)).Candidates[0])
            .ToArray();

        Assert.True(lanes < split * 0.95, $"the lanes tile at {lanes} ms, the split tile at {split} ms");
        var reached = bests.Count(best => best.EstimatedMs <= lanes * 1.01);
        Assert.True(reached >= 5, $"{reached} of 8 seeds reached the lanes tile ({lanes} ms): {string.Join("; ", bests.Select(b => $"{b.Schedule} at {b.EstimatedMs} ms"))}");
    }

    [Fact]
    public void Reaches_batch_32_strided_convolutions_batch_tiles_from_its_image_tiles()
    {
        // h100, ResNet-50's batch-32 s3_conv3x3_stride2: 14x14 outputs fill a 16x16 image tile to 77%; a tile
        // spanning the batch wastes nothing. The batch tile is the compiler check's pick (166 registers by
        // ptxas 11.8). With the register estimate that counts a padded window's checks and a single-buffered
        // prefetch's chunk addresses, 10 of seeds 0-15 end within 7% of it, the others up to 25% above. Since
        // the model charges a load the passes that return its registers, and before that estimate, 10 of 16
        // ended within 7% of the batch tile the walk then preferred (3 without the MoveThreads edges); before
        // that charge, 14 of 16.
        var op = OperatorBuilder.Build(SpecReader.FromInline("O[b,f,y,x] += I[b,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]",
            "b=32,f=256,y=14,x=14,c=256,r=3,s=3", "s3_conv3x3_stride2", null));
        var profile = BuiltInProfiles.H100;
        var batch = CostModel.EstimateMs(op, Schedule.Parse("block=32x64x2x2 thread=1x16x2x2 reduce=8x3x3 shared=W vector=4 pad=4 prefetch=1 buffers=2 split=4"), profile);
        var image = CostModel.EstimateMs(op, Schedule.Parse("block=2x16x16x16 thread=1x16x2x2 reduce=64x3x3 shared=W vector=4 prefetch=1"), profile);

        var bests = Enumerable.Range(0, 16)
            .Select(seed => new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: seed)).Candidates[0])
            .ToArray();

        Assert.True(batch < image * 0.9, $"the batch tile at {batch} ms, the image tile at {image} ms");
        var reached = bests.Count(best => best.EstimatedMs <= batch * 1.07);
        Assert.True(reached >= 8, $"{reached} of 16 seeds within 7% of the batch tile ({batch} ms): {string.Join("; ", bests.Select(b => $"{b.Schedule} at {b.EstimatedMs} ms"))}");
    }

    [Fact]
    public void Its_best_state_has_no_better_state_one_or_two_primitives_away()
    {
        // ResNet-50's batch-1 s1_expand on h100, seed 0: its walks ended 1.6% above exhaustive
        // enumeration's optimum, which two primitives (through a worse middle state) reach.
        var op = OperatorBuilder.Build(SpecReader.FromInline("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=1,f=256,y=56,x=56,c=64", "s1_expand", null));
        var profile = BuiltInProfiles.H100;

        var best = new GensorPolicy().Construct(op, profile, new ConstructionOptions(Seed: 0)).Candidates[0];

        var primitives = PrimitiveSet.For(op);
        IEnumerable<Schedule> Neighbours(Schedule s) =>
            primitives.Select(p => PrimitiveSet.ApplyLegal(p, op, s, profile).Schedule).OfType<Schedule>();
        var withinTwo = Neighbours(best.Schedule).SelectMany(n => Neighbours(n).Prepend(n)).Distinct();
        Assert.All(withinTwo, s => Assert.True(CostModel.EstimateMs(op, s, profile) >= best.EstimatedMs, $"{s} is better than {best.Schedule}"));
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
