using Gensor.Etir;
using Gensor.Tests.Support;
using Gensor.Tuning.Calibration;
using Xunit;

namespace Gensor.Tests.Calibration;

/// <summary>
/// The pairs of one operator's kernels that the estimates order worst against the measurements
/// (<see cref="MisorderedPair.Worst"/>): what calibrate reports as candidates to time again.
/// </summary>
public class MisorderedPairTests
{
    private static readonly Operator Gemm = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");

    private static readonly string[] Tiles =
    [
        "block=16x16 thread=2x2 reduce=8", "block=32x16 thread=2x2 reduce=8", "block=16x32 thread=2x2 reduce=8",
        "block=32x32 thread=2x2 reduce=8", "block=32x32 thread=4x4 reduce=8", "block=16x16 thread=4x4 reduce=8",
        "block=64x16 thread=4x4 reduce=8",
    ];

    private static CalibrationSample Sample(string opHash, int tile, double measuredMs) =>
        new("gemm_" + opHash, opHash, Gemm, Schedule.Parse(Tiles[tile]), measuredMs);

    [Fact]
    public void A_pair_the_estimates_order_against_the_measurements_is_reported_with_both_ratios()
    {
        // Measured 1, 2, 3 ms; estimated 1, 3, 0.5: the third is the slowest and estimated fastest.
        var samples = new[] { Sample("x", 0, 1), Sample("x", 1, 2), Sample("x", 2, 3) };

        var pairs = MisorderedPair.Worst(samples, [1, 3, 0.5]);

        // Its worst pair is against the second (1.5x slower, estimated 6x faster: a miss of 9x), not the
        // first (3x slower, estimated 2x faster: 6x); the first two are ordered right.
        var pair = Assert.Single(pairs);
        Assert.Equal(samples[2].Schedule, pair.Slower.Schedule);
        Assert.Equal(samples[1].Schedule, pair.Faster.Schedule);
        Assert.Equal(1.5, pair.MeasuredRatio, 9);
        Assert.Equal(0.5 / 3, pair.EstimatedRatio, 9);
        Assert.Equal(Math.Log(9), pair.Miss, 9);
    }

    [Fact]
    public void Estimates_in_the_measured_order_report_no_pair()
    {
        var samples = new[] { Sample("x", 0, 1), Sample("x", 1, 2), Sample("x", 2, 3) };

        Assert.Empty(MisorderedPair.Worst(samples, [0.1, 0.5, 0.9]));
    }

    [Fact]
    public void A_tie_in_the_estimates_between_kernels_that_measured_apart_is_a_pair()
    {
        var samples = new[] { Sample("x", 0, 1), Sample("x", 1, 3) };

        var pair = Assert.Single(MisorderedPair.Worst(samples, [2, 2]));

        Assert.Equal(3, pair.MeasuredRatio, 9);
        Assert.Equal(1, pair.EstimatedRatio, 9);
    }

    [Fact]
    public void Kernels_of_different_operators_and_one_kernel_timed_twice_are_never_paired()
    {
        // Operator y's kernel is slower than x's and estimated faster; one schedule of x was timed twice, 1 and 2 ms.
        var samples = new[] { Sample("x", 0, 1), Sample("y", 1, 5), Sample("x", 0, 2) };

        Assert.Empty(MisorderedPair.Worst(samples, [1, 0.1, 0.5]));
    }

    [Fact]
    public void At_most_five_are_kept_worst_first()
    {
        // Seven kernels measured 1..7 ms and estimated in the opposite order: every pair is misordered.
        var samples = Enumerable.Range(0, 7).Select(i => Sample("x", i, i + 1)).ToArray();

        var pairs = MisorderedPair.Worst(samples, [.. Enumerable.Range(0, 7).Select(i => 7.0 - i)]);

        Assert.Equal(MisorderedPair.Kept, pairs.Count);
        Assert.Equal(pairs.OrderByDescending(p => p.Miss), pairs);
        // Each slower kernel appears once, in its worst pair (against the fastest kernel).
        Assert.Equal(pairs.Count, pairs.Select(p => p.Slower.Schedule).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(samples[0].Schedule, p.Faster.Schedule));
    }
}
