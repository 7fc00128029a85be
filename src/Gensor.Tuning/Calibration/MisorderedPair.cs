using Gensor.Etir;

namespace Gensor.Tuning.Calibration;

/// <summary>
/// Two measured kernels of one operator that the estimates order the other way (or tie): the
/// model's largest misses between kernels, where a term is missing or wrong. Timing such a pair
/// again with today's kernels (bench/gpu/pairs.tsv) tells whether the model must change.
/// </summary>
/// <param name="Name">The operator's name.</param>
/// <param name="OpHash">Its canonical hash.</param>
/// <param name="Faster">The kernel that measured faster.</param>
/// <param name="Slower">The kernel that measured slower, estimated as fast or faster.</param>
public sealed record MisorderedPair(string Name, string OpHash, TimedKernel Faster, TimedKernel Slower)
{
    /// <summary>How many the report keeps, worst first.</summary>
    public const int Kept = 5;

    /// <summary>The slower kernel's measured time over the faster one's (above 1).</summary>
    public double MeasuredRatio => Slower.MeasuredMs / Faster.MeasuredMs;

    /// <summary>The slower kernel's estimate over the faster one's (1 or less: the model's order is the other way, or a tie).</summary>
    public double EstimatedRatio => Slower.EstimatedMs / Faster.EstimatedMs;

    /// <summary>How far apart the two orders are, as a log factor: the measured ratio times the inverse of the estimated one.</summary>
    public double Miss => Math.Log(MeasuredRatio) - Math.Log(EstimatedRatio);

    /// <summary>
    /// The <see cref="Kept"/> worst-ordered pairs of distinct schedules of one operator, worst first,
    /// each slower kernel in its worst pair only (one slow kernel the model rates well would otherwise
    /// fill the list with its pairs). Records of one schedule timed twice are never paired: they
    /// differ by measurement noise only.
    /// </summary>
    public static IReadOnlyList<MisorderedPair> Worst(IReadOnlyList<CalibrationSample> samples, IReadOnlyList<double> estimates)
    {
        // Each slower kernel's worst pair as it is found: memory in the records, not in their pairs.
        var pairs = new List<MisorderedPair>();
        foreach (var group in samples.Select((sample, index) => (Sample: sample, Index: index)).GroupBy(p => p.Sample.OpHash))
        {
            var kernels = group.Select(p => new TimedKernel(p.Sample.Schedule, p.Sample.MeasuredMs, estimates[p.Index])).ToArray();
            var name = group.First().Sample.Name;
            foreach (var slower in kernels)
            {
                MisorderedPair? worst = null;
                foreach (var faster in kernels)
                {
                    if (slower.MeasuredMs > faster.MeasuredMs && slower.EstimatedMs <= faster.EstimatedMs && slower.Schedule != faster.Schedule
                        && new MisorderedPair(name, group.Key, faster, slower) is var pair && (worst is null || pair.Miss > worst.Miss))
                    {
                        worst = pair;
                    }
                }
                if (worst is not null)
                {
                    pairs.Add(worst);
                }
            }
        }
        return [.. pairs.OrderByDescending(p => p.Miss).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Slower.Schedule.ToString(), StringComparer.Ordinal)
            .Take(Kept)];
    }
}

/// <summary>A measured kernel: its schedule, its measured time and the model's estimate of it.</summary>
public sealed record TimedKernel(Schedule Schedule, double MeasuredMs, double EstimatedMs);
