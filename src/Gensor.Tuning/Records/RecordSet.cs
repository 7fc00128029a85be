using Gensor.Etir;

namespace Gensor.Tuning.Records;

/// <summary>Queries over tuning records: what is known for an operator on a device, the best per operator, merging.</summary>
public sealed class RecordSet(IEnumerable<TuningRecord> records)
{
    private readonly List<TuningRecord> _records = records.ToList();

    public IReadOnlyList<TuningRecord> Records => _records;

    public void Add(TuningRecord record) => _records.Add(record);

    /// <summary>
    /// Each kernel's latest record: of the records of one operator, device and schedule, the one measured
    /// last (the later in the file where two share a time), whichever policy made it. A kernel re-measured
    /// with <c>--force</c> stands as its last measurement says, verified or not, in every query here: an
    /// older verified record of it never hides a later failure.
    /// </summary>
    public IEnumerable<TuningRecord> Latest() => LatestOf(_records, r => (r.OpHash, r.Device, r.Schedule));

    /// <summary>
    /// The results this build recorded for the operator on <paramref name="device"/>, by
    /// schedule in the operator's own names (<see cref="Latest"/> of the build's records):
    /// the same schedule on the same device, lowered by the same build, is the same kernel.
    /// Another build may lower a schedule to another kernel, and verified another one, so
    /// its records are not reused (<see cref="OtherBuilds"/> counts them).
    /// </summary>
    public IReadOnlyDictionary<Schedule, CandidateResult> Known(CanonicalForm form, string device)
    {
        var known = new Dictionary<Schedule, CandidateResult>();
        // Only this operator's records on this device are sorted and grouped: tune and batch ask once per operator.
        var reusable = _records.Where(r => r.OpHash == form.Hash && r.Device == device && r.ByThisBuild);
        foreach (var record in LatestOf(reusable, r => r.Schedule))
        {
            var result = record.ToResult(form);
            known[result.Schedule] = result;
        }
        return known;
    }

    /// <summary>The builds other than the running one that made records here, with how many each made, most first.</summary>
    public IReadOnlyList<RecordedVersion> OtherBuilds() => RecordedVersion.Tally(_records.Where(r => !r.ByThisBuild));

    /// <summary>The fastest verified record per operator and device (of each kernel's <see cref="Latest"/>), ordered by operator name, then device.</summary>
    public IReadOnlyList<TuningRecord> BestPerOperator() =>
        Latest().Where(r => r.Verified && r.MeasuredMs is not null)
            .GroupBy(r => (r.OpHash, r.Device))
            .Select(group => group.OrderBy(r => r.MeasuredMs).ThenBy(r => r.Time).First())
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.OpHash, StringComparer.Ordinal).ThenBy(r => r.Device, StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// Records from several files without duplicates: of records with the same
    /// operator, device, policy and schedule the latest is kept (a re-run replaces
    /// what it re-measured, as <see cref="Latest"/> reads it; a copy has the same
    /// time), ordered by time.
    /// </summary>
    public static IReadOnlyList<TuningRecord> Merge(IEnumerable<TuningRecord> records) =>
        LatestOf(records, r => (r.OpHash, r.Device, r.Policy, r.Schedule))
            .OrderBy(r => r.Time).ThenBy(r => r.OpHash, StringComparer.Ordinal).ThenBy(r => r.Schedule.ToString(), StringComparer.Ordinal)
            .ToArray();

    /// <summary>The last record by time of each group (OrderBy is stable: of equal times, the later in the sequence).</summary>
    private static IEnumerable<TuningRecord> LatestOf<TKey>(IEnumerable<TuningRecord> records, Func<TuningRecord, TKey> key) =>
        records.OrderBy(r => r.Time).GroupBy(key).Select(group => group.Last());
}
