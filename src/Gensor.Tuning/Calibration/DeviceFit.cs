using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tuning.Records;

namespace Gensor.Tuning.Calibration;

/// <summary>
/// How a profile's estimates rank one operator's measured records on one device
/// (for <c>explain --records</c>): the estimates are made again under the profile,
/// and compared with what was measured.
/// </summary>
/// <param name="Device">The device the records ran on.</param>
/// <param name="Count">Verified, timed records (one per schedule, the latest).</param>
/// <param name="Spearman">Rank correlation of estimate and measurement (null with fewer than 3 records).</param>
/// <param name="MedianAbsLogError">Median |log(estimate / measured)|.</param>
/// <param name="FirstChoiceOverBest">Measured time of the record with the smallest estimate over the fastest record's.</param>
/// <param name="OtherBuilds">Of the records, those another build of gensor measured (<see cref="CalibrationSet.OtherBuilds"/>).</param>
public sealed record DeviceFit(string Device, int Count, double? Spearman, double MedianAbsLogError, double FirstChoiceOverBest, int OtherBuilds)
{
    /// <summary>The fit per device of the records of <paramref name="op"/> among <paramref name="records"/>, by device name.</summary>
    public static IReadOnlyList<DeviceFit> Of(IEnumerable<TuningRecord> records, Operator op, HardwareProfile profile)
    {
        var hash = CanonicalForm.Of(op).Hash;
        var mine = records.Where(r => r.OpHash == hash).ToArray();
        var fits = new List<DeviceFit>();
        foreach (var device in mine.Select(r => r.Device).Distinct().Order(StringComparer.Ordinal))
        {
            var set = CalibrationSet.Select(mine, device);
            var samples = set.Samples;
            if (samples.Count == 0)
            {
                continue;
            }
            var estimates = samples.Select(s => s.EstimateMs(profile)).ToArray();
            var quality = FitQuality.Of(samples, estimates);
            // One operator's samples: its single per-operator fit holds the first choice over the fastest.
            fits.Add(new DeviceFit(device, samples.Count, quality.Spearman, quality.MedianAbsLogError, quality.Operators.Single().FirstChoiceOverBest,
                set.OtherBuildSamples));
        }
        return fits;
    }
}
