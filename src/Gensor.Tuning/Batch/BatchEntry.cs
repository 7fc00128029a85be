using Gensor.Etir;

namespace Gensor.Tuning.Batch;

/// <summary>
/// One operator of a suite: built, with its canonical form, or the reason it
/// could not be built (bad input for this operator only).
/// </summary>
/// <param name="Number">Its position in the suite, from 1.</param>
/// <param name="Name">The name the suite gives it.</param>
/// <param name="Count">How many times it occurs in the model.</param>
/// <param name="Operator">The operator, or null when its spec is bad.</param>
/// <param name="Form">Its canonical form, or null when its spec is bad.</param>
/// <param name="Error">Why its spec is bad, or null.</param>
public sealed record BatchEntry(int Number, string Name, int Count, Operator? Operator, CanonicalForm? Form, string? Error)
{
    /// <summary>What decides the entry's shard: its op_hash, or for a bad spec a hash of its name.</summary>
    public string ShardKey => Form?.Hash ?? ShardSpec.HashOf("bad spec: " + Name);
}
