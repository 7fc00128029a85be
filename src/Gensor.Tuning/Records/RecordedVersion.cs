namespace Gensor.Tuning.Records;

/// <summary>One build of gensor and how many of some records it made.</summary>
/// <param name="Version">The build's informational version, as the records carry it.</param>
/// <param name="Count">How many of the records it made.</param>
public sealed record RecordedVersion(string Version, int Count)
{
    /// <summary>The builds that made <paramref name="records"/>, most records first (then by version, for a stable order).</summary>
    public static IReadOnlyList<RecordedVersion> Tally(IEnumerable<TuningRecord> records) =>
        [.. records.GroupBy(r => r.Version).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new RecordedVersion(g.Key, g.Count()))];
}
