namespace Gensor.Tuning.Calibration;

/// <summary>
/// Statistics of estimate against measurement: Spearman's rank correlation
/// (what ranking needs: that the faster kernel gets the smaller estimate), the
/// model's first choice over the fastest (what ranking costs when only the
/// first is kept), and the median of absolute log errors (how far off the
/// estimates are, as a factor: 0.69 is a factor of 2 either way).
/// </summary>
public static class RankCorrelation
{
    /// <summary>
    /// Spearman's rank correlation of <paramref name="x"/> and <paramref name="y"/>:
    /// the Pearson correlation of their ranks, ties given their mean rank. Null
    /// for fewer than three pairs or when either side is constant, where no
    /// ranking can be judged.
    /// </summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count)
        {
            throw new ArgumentException("the two series differ in length");
        }
        if (x.Count < 3)
        {
            return null;
        }
        var rx = Ranks(x);
        var ry = Ranks(y);
        var mean = (x.Count + 1) / 2.0;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            var dx = rx[i] - mean;
            var dy = ry[i] - mean;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? null : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>
    /// What ranking by the estimates costs: the measured time of the pair with the smallest estimate
    /// (the one a tuner trusting the model would pick) over the smallest measured time. 1 when the
    /// model's first choice is the fastest. Pairs tied for the smallest estimate count at the slowest
    /// of them, since the model gives no reason to prefer one. NaN when there are no pairs.
    /// </summary>
    public static double FirstChoiceOverBest(IReadOnlyList<double> estimated, IReadOnlyList<double> measured)
    {
        if (estimated.Count != measured.Count)
        {
            throw new ArgumentException("the two series differ in length");
        }
        if (estimated.Count == 0)
        {
            return double.NaN;
        }
        var first = estimated.Min();
        var chosen = measured.Where((_, i) => estimated[i] == first).Max();
        return chosen / measured.Min();
    }

    /// <summary>The median of |log(estimate) - log(measured)| over the pairs; NaN when there are none.</summary>
    public static double MedianAbsLogError(IReadOnlyList<double> estimated, IReadOnlyList<double> measured) =>
        Median(estimated.Select((e, i) => Math.Abs(Math.Log(e) - Math.Log(measured[i]))).ToArray());

    /// <summary>The median; the mean of the two middle values for an even count, NaN for none.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }
            // Ranks are 1-based; tied values share the mean of the ranks they span.
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }
}
