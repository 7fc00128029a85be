using Gensor.Tuning.Calibration;
using Xunit;

namespace Gensor.Tests.Calibration;

public class RankCorrelationTests
{
    [Fact]
    public void The_same_order_is_one_however_far_apart_the_values() =>
        Assert.Equal(1.0, RankCorrelation.Spearman([1, 2, 3, 4], [10, 200, 3000, 40000])!.Value, 12);

    [Fact]
    public void The_reverse_order_is_minus_one() =>
        Assert.Equal(-1.0, RankCorrelation.Spearman([1, 2, 3, 4], [4, 3, 2, 1])!.Value, 12);

    [Fact]
    public void Ties_share_their_mean_rank()
    {
        // Ranks x: 1, 2.5, 2.5, 4; y: 1, 2, 3, 4: Pearson of those ranks.
        var r = RankCorrelation.Spearman([1, 2, 2, 3], [1, 2, 3, 4])!.Value;

        Assert.Equal(4.5 / Math.Sqrt(4.5 * 5), r, 12);
    }

    [Fact]
    public void Is_undefined_for_fewer_than_three_pairs_or_a_constant_side()
    {
        Assert.Null(RankCorrelation.Spearman([1, 2], [1, 2]));
        Assert.Null(RankCorrelation.Spearman([5, 5, 5], [1, 2, 3]));
    }

    [Fact]
    public void The_first_choice_is_the_smallest_estimate_and_ties_count_at_their_slowest()
    {
        // The model's first choice (estimate 1) ran in 3 ms, the fastest in 2 ms.
        Assert.Equal(1.5, RankCorrelation.FirstChoiceOverBest([1, 2, 3], [3, 2, 4]), 12);
        Assert.Equal(1.0, RankCorrelation.FirstChoiceOverBest([1, 2, 3], [2, 3, 4]), 12);
        // Two candidates tied for the smallest estimate: the model cannot tell them apart.
        Assert.Equal(2.0, RankCorrelation.FirstChoiceOverBest([1, 1, 3], [2, 4, 5]), 12);
        Assert.True(double.IsNaN(RankCorrelation.FirstChoiceOverBest([], [])));
    }

    [Fact]
    public void The_median_log_error_is_symmetric_in_over_and_under_estimates() =>
        Assert.Equal(Math.Log(2), RankCorrelation.MedianAbsLogError([2, 0.5, 1], [1, 1, 2]), 12);
}
