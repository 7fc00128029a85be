using Gensor.Construction.Policies;
using Gensor.Hardware;
using Xunit;

namespace Gensor.Tests.Construction;

public class RollerPolicyTests
{
    [Fact]
    public void Scale_up_scores_the_axis_with_the_best_data_reuse_highest()
    {
        // C[m,n] += A[m,k] * B[k,n], 1024 cubed, tile m=16 n=4 k=8 (bytes, float32):
        //   Q(T)       = 4 * (64*256*128 tiles * (16*8 + 8*4) + 64*256 * 16*4) = 1,346,371,584
        //   grow n->8: Q = 4 * (64*128*128 * (128 + 64) + 8192 * 128)          =   809,500,672, F grows 128 bytes
        //   grow m->32: Q = 4 * (32*256*128 * (256 + 32) + 8192 * 128)        = 1,212,153,856, F grows 512 bytes
        //   grow k->16: the traffic is unchanged.
        var op = TestOperators.Gemm(1024, 1024, 1024);
        int[] tile = [16, 4, 8];

        Assert.Equal(536_870_912.0 / 128, RollerPolicy.BlockReuseScore(op, tile, 1, 8));
        Assert.Equal(134_217_728.0 / 512, RollerPolicy.BlockReuseScore(op, tile, 0, 32));
        Assert.Equal(0.0, RollerPolicy.BlockReuseScore(op, tile, 2, 16));
    }

    [Fact]
    public void Constructs_at_most_its_top_k_without_virtual_threads()
    {
        var op = TestOperators.Gemm(1024, 1024, 1024);

        var result = new RollerPolicy().Construct(op, BuiltInProfiles.A100, new ConstructionOptions(TopK: 20));

        Assert.InRange(result.Candidates.Count, 1, RollerPolicy.TopK);
        Assert.All(result.Candidates, c => Assert.All(c.Schedule.VirtualThreads, v => Assert.Equal(1, v)));
    }

    [Fact]
    public void Fills_the_multiprocessors_when_the_operator_allows()
    {
        var op = TestOperators.Gemm(1024, 1024, 1024);
        var profile = BuiltInProfiles.H100;

        var best = new RollerPolicy().Construct(op, profile, new ConstructionOptions()).Candidates[0].Schedule;

        Assert.True(Gensor.Construction.Cost.CostModel.Breakdown(op, best, profile).Blocks >= profile.Multiprocessors);
    }

    [Fact]
    public void Every_reduction_axis_starts_aligned_to_a_transaction_as_in_the_artifact()
    {
        // Roller's GetAlignedSteps aligns each reduction axis to 32 bytes (8 floats) or its length.
        var op = TestOperators.Conv2d(batch: 1, inChannels: 64, outChannels: 64, side: 28, window: 3, stride: 1, pad: 1);

        var result = new RollerPolicy().Construct(op, BuiltInProfiles.H100, new ConstructionOptions());

        Assert.All(result.Candidates, c =>
        {
            Assert.True(c.Schedule.ReduceStep[0] >= 8, c.Schedule.ToString()); // c
            Assert.Equal(3, c.Schedule.ReduceStep[1]); // r
            Assert.Equal(3, c.Schedule.ReduceStep[2]); // s
        });
    }
}
