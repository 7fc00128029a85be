using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Tuning.Batch;

/// <summary>The operators of a suite file that one batch run tunes, in suite order.</summary>
public sealed record BatchPlan(string Suite, int SuiteSize, IReadOnlyList<BatchEntry> Entries)
{
    /// <summary>The shard these entries are, <see cref="ShardSpec.All"/> for the whole suite.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>
    /// Reads a suite. A file that is not a suite at all is bad input for the
    /// whole run; an operator whose expression does not build is kept as an
    /// entry with its error, so the rest of the suite is still tuned.
    /// </summary>
    /// <param name="path">The suite file.</param>
    /// <param name="dtype">An element type for every operator's tensors (<c>--dtype</c>), replacing each spec's dtype; null keeps them.</param>
    /// <param name="memoryLimitBytes">An operator whose buffers would take more (<see cref="MemoryEstimate"/>) is an entry with that error.</param>
    /// <exception cref="GensorException">The file is missing or not a JSON array (or object) of specs.</exception>
    public static BatchPlan Read(string path, string? dtype = null, long memoryLimitBytes = MemoryEstimate.DefaultLimitBytes) =>
        From(path, [.. SpecReader.ReadFile(path).Select(spec => dtype is null ? spec : spec with { Dtype = dtype })], memoryLimitBytes);

    /// <summary>
    /// A plan for specs already in memory (a model just imported); <paramref name="suite"/>
    /// names them in reports. Each spec is built as <see cref="Read"/> builds a file's.
    /// </summary>
    public static BatchPlan From(string suite, IReadOnlyList<OperatorSpec> specs, long memoryLimitBytes = MemoryEstimate.DefaultLimitBytes)
    {
        var entries = new List<BatchEntry>();
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            try
            {
                var op = OperatorBuilder.Build(spec);
                MemoryEstimate.Check(op, memoryLimitBytes);
                entries.Add(new BatchEntry(i + 1, spec.Name, spec.Count, op, CanonicalForm.Of(op), null));
            }
            catch (GensorException exception)
            {
                entries.Add(new BatchEntry(i + 1, spec.Name, spec.Count, null, null, exception.Error.Message));
            }
        }
        return new BatchPlan(suite, specs.Count, entries);
    }

    /// <summary>The entries that fall in <paramref name="shard"/>.</summary>
    public BatchPlan InShard(ShardSpec shard) => this with { Entries = Entries.Where(e => shard.Contains(e.ShardKey)).ToArray(), Shard = shard };
}
