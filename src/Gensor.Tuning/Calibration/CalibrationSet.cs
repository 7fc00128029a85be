using Gensor.Diagnostics;
using Gensor.Tuning.Records;

namespace Gensor.Tuning.Calibration;

/// <summary>
/// The records of one device that a calibration can use: verified, timed, with
/// an operator that rebuilds from its canonical text. Everything else is counted
/// by reason, so a report can say what was left out and why.
/// </summary>
/// <param name="Device">The device the samples ran on.</param>
/// <param name="Profile">The profile most of them were constructed for (the natural base profile).</param>
/// <param name="Samples">The usable records, one per operator and schedule (the latest measurement).</param>
/// <param name="Skipped">Records left out, by reason.</param>
/// <param name="Total">All records read.</param>
public sealed record CalibrationSet(string Device, string Profile, IReadOnlyList<CalibrationSample> Samples, IReadOnlyList<SkippedRecords> Skipped, int Total)
{
    /// <summary>The builds of gensor that measured the samples, most samples first.</summary>
    public IReadOnlyList<RecordedVersion> Versions { get; init; } = [];

    /// <summary>
    /// The builds other than the running one that measured samples: the model estimates the kernel this
    /// build lowers for a schedule, and where the lowering has changed since, that is not the kernel timed.
    /// </summary>
    public IReadOnlyList<RecordedVersion> OtherBuilds => [.. Versions.Where(v => !TuningRecord.SameBuild(v.Version, TuningRecord.ToolVersion))];

    /// <summary>How many samples <see cref="OtherBuilds"/> measured.</summary>
    public int OtherBuildSamples => OtherBuilds.Sum(v => v.Count);

    /// <summary>How many samples carry their kernel's registers (<see cref="CalibrationSample.Registers"/>).</summary>
    public int SamplesWithRegisters => Samples.Count(s => s.Registers is not null);

    /// <summary>What the samples without registers mean for a fit, as the commands say it.</summary>
    public const string RegistersCaution = "the others with the model's register estimate, whose errors move a kernel across occupancy steps";

    /// <summary>What records of <see cref="OtherBuilds"/> mean for a fit, as the commands say it.</summary>
    public const string OtherBuildsCaution = "where the lowering has changed since, the model estimates a kernel other than the one timed";

    /// <summary>
    /// Selects the samples of <paramref name="device"/> from <paramref name="records"/>.
    /// <paramref name="device"/> is a device's full name (<c>cpu: CPUAccelerator</c>) or its
    /// kind (<c>cpu</c>, <c>cuda</c>) when that names one device; null takes the only
    /// device the records hold. Throws bad input for an unknown or ambiguous device.
    /// </summary>
    public static CalibrationSet Select(IReadOnlyList<TuningRecord> records, string? device)
    {
        var devices = records.Select(r => r.Device).Distinct().Order(StringComparer.Ordinal).ToArray();
        var chosen = ChooseDevice(devices, device);
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        void Skip(string reason) => skipped[reason] = skipped.GetValueOrDefault(reason) + 1;

        var operators = new Dictionary<string, Gensor.Etir.Operator?>(StringComparer.Ordinal);
        var latest = new Dictionary<(string, Gensor.Etir.Schedule), (TuningRecord Record, CalibrationSample Sample)>();
        foreach (var record in records.OrderBy(r => r.Time))
        {
            if (record.Device != chosen)
            {
                Skip($"another device ({record.Device})");
                continue;
            }
            if (!record.Verified)
            {
                // Failed to compile, to run, or to match the reference: either way its time means nothing.
                Skip("not verified");
                continue;
            }
            if (record.MeasuredMs is not { } measured || !(measured > 0) || !double.IsFinite(measured))
            {
                Skip("no measured time");
                continue;
            }
            if (!operators.TryGetValue(record.OpHash, out var op))
            {
                op = operators[record.OpHash] = RecordedOperator.TryRebuild(record.Op, record.OpHash);
            }
            if (op is null)
            {
                Skip("operator text does not rebuild");
                continue;
            }
            if (Gensor.Analysis.OperatorAnalysis.Of(op).CheckStructure(record.Schedule) is not null)
            {
                // A forged or damaged record: no kernel of that schedule exists to have been measured.
                Skip("schedule does not fit its operator");
                continue;
            }
            var key = (record.OpHash, record.Schedule);
            if (latest.ContainsKey(key))
            {
                // --force measured it again: the latest measurement stands, as for reuse.
                Skip("measured again later (the latest is used)");
            }
            latest[key] = (record, new CalibrationSample(record.Name, record.OpHash, op, record.Schedule, measured, record.Registers));
        }
        var used = latest.Values.ToArray();
        var profile = used.Length == 0
            ? records.Where(r => r.Device == chosen).Select(r => r.Profile).FirstOrDefault() ?? ""
            : used.GroupBy(u => u.Record.Profile).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        return new CalibrationSet(
            chosen,
            profile,
            used.Select(u => u.Sample).ToArray(),
            skipped.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => new SkippedRecords(s.Key, s.Value)).ToArray(),
            records.Count)
        {
            Versions = RecordedVersion.Tally(used.Select(u => u.Record)),
        };
    }

    private static string ChooseDevice(string[] devices, string? device)
    {
        if (devices.Length == 0)
        {
            throw GensorException.BadInput("the records file holds no records");
        }
        if (device is null)
        {
            return devices.Length == 1
                ? devices[0]
                : throw GensorException.BadInput($"the records hold {devices.Length} devices ({string.Join("; ", devices)}); choose one with --device");
        }
        if (devices.Contains(device, StringComparer.Ordinal))
        {
            return device;
        }
        var ofKind = devices.Where(d => d.StartsWith(device + ":", StringComparison.OrdinalIgnoreCase)).ToArray();
        return ofKind.Length switch
        {
            1 => ofKind[0],
            0 => throw GensorException.BadInput($"unknown device '{device}': the records hold {string.Join("; ", devices)}"),
            _ => throw GensorException.BadInput($"device '{device}' names {ofKind.Length} devices in the records ({string.Join("; ", ofKind)}); give the full name"),
        };
    }
}
