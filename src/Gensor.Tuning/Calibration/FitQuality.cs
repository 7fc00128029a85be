namespace Gensor.Tuning.Calibration;

/// <summary>How well a profile's estimates match the measurements, overall and per operator.</summary>
/// <param name="MedianAbsLogError">The median of |log(estimate / measured)| over all samples.</param>
/// <param name="Spearman">The rank correlation of estimate and measurement over all samples (null when undefined).</param>
/// <param name="Operators">The same per operator, by name.</param>
/// <param name="Misordered">The pairs of one operator's kernels that the estimates order worst (<see cref="MisorderedPair.Worst"/>).</param>
public sealed record FitQuality(double MedianAbsLogError, double? Spearman, IReadOnlyList<OperatorFit> Operators, IReadOnlyList<MisorderedPair> Misordered)
{
    /// <summary>The quality of <paramref name="estimates"/> (one per sample, in order) against the samples' measurements.</summary>
    public static FitQuality Of(IReadOnlyList<CalibrationSample> samples, IReadOnlyList<double> estimates)
    {
        var measured = samples.Select(s => s.MeasuredMs).ToArray();
        var operators = samples.Select((s, i) => (Sample: s, Index: i))
            .GroupBy(p => p.Sample.OpHash)
            .Select(group =>
            {
                var estimated = group.Select(p => estimates[p.Index]).ToArray();
                var times = group.Select(p => p.Sample.MeasuredMs).ToArray();
                return new OperatorFit(group.First().Sample.Name, group.Key, estimated.Length,
                    RankCorrelation.Spearman(estimated, times), RankCorrelation.MedianAbsLogError(estimated, times),
                    RankCorrelation.FirstChoiceOverBest(estimated, times));
            })
            .OrderBy(o => o.Name, StringComparer.Ordinal).ThenBy(o => o.OpHash, StringComparer.Ordinal)
            .ToArray();
        return new FitQuality(RankCorrelation.MedianAbsLogError(estimates, measured), RankCorrelation.Spearman(estimates, measured), operators,
            MisorderedPair.Worst(samples, estimates));
    }

    /// <summary>The geometric mean over the operators of their first choice's time over their fastest (<see cref="OperatorFit.FirstChoiceOverBest"/>); NaN with no operator.</summary>
    public double GeomeanFirstChoiceOverBest =>
        Operators.Count == 0 ? double.NaN : Math.Exp(Operators.Average(o => Math.Log(o.FirstChoiceOverBest)));

    /// <summary>The mean of the per-operator rank correlations that are defined, or null.</summary>
    public double? MeanOperatorSpearman =>
        Operators.Where(o => o.Spearman is not null).Select(o => o.Spearman!.Value).DefaultIfEmpty(double.NaN).Average() is var mean && double.IsFinite(mean)
            ? mean
            : null;
}

/// <summary>Fit of one operator's samples.</summary>
/// <param name="Name">The operator's name.</param>
/// <param name="OpHash">Its canonical hash.</param>
/// <param name="Count">Its samples.</param>
/// <param name="Spearman">Rank correlation of estimate and measurement (null with fewer than 3 samples or ties throughout).</param>
/// <param name="MedianAbsLogError">Median |log(estimate / measured)|.</param>
/// <param name="FirstChoiceOverBest">Measured time of the sample with the smallest estimate over the fastest sample's (1: the model picks the fastest).</param>
public sealed record OperatorFit(string Name, string OpHash, int Count, double? Spearman, double MedianAbsLogError, double FirstChoiceOverBest);
