using Gensor.Etir;

namespace Gensor.Tuning.Records;

/// <summary>Queries over tuning records: what is known for an operator on a device, the best per operator, merging.</summary>
public sealed class RecordSet(IEnumerable<TuningRecord> records)
{
    private readonly List<TuningRecord> _records = records.ToList();

    public IReadOnlyList<TuningRecord> Records => _records;

    public void Add(TuningRecord record) => _records.Add(record);

    /// <summary>
    /// The results recorded for the operator on <paramref name="device"/>, by
    /// schedule in the operator's own names. Any policy's record counts: the
    /// same schedule on the same device is the same kernel. Where a schedule
    /// was measured more than once (<c>--force</c>), the latest is kept.
    /// </summary>
    public IReadOnlyDictionary<Schedule, CandidateResult> Known(CanonicalForm form, string device)
    {
        var known = new Dictionary<Schedule, CandidateResult>();
        foreach (var record in _records.Where(r => r.OpHash == form.Hash && r.Device == device).OrderBy(r => r.Time))
        {
            var result = record.ToResult(form);
            known[result.Schedule] = result;
        }
        return known;
    }

    /// <summary>The fastest verified record per operator and device, ordered by operator name, then device.</summary>
    public IReadOnlyList<TuningRecord> BestPerOperator() =>
        _records.Where(r => r.Verified && r.MeasuredMs is not null)
            .GroupBy(r => (r.OpHash, r.Device))
            .Select(group => group.OrderBy(r => r.MeasuredMs).ThenBy(r => r.Time).First())
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.OpHash, StringComparer.Ordinal).ThenBy(r => r.Device, StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// Records from several files without duplicates: of records with the same
    /// operator, device, policy and schedule the earliest is kept (it is the
    /// original measurement; later ones are re-runs or copies), ordered by time.
    /// </summary>
    public static IReadOnlyList<TuningRecord> Merge(IEnumerable<TuningRecord> records) =>
        records.GroupBy(r => (r.OpHash, r.Device, r.Policy, r.Schedule))
            .Select(group => group.OrderBy(r => r.Time).First())
            .OrderBy(r => r.Time).ThenBy(r => r.OpHash, StringComparer.Ordinal).ThenBy(r => r.Schedule.ToString(), StringComparer.Ordinal)
            .ToArray();
}
