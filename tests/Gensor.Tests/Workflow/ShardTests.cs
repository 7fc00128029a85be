using Gensor.Tests.Support;
using Gensor.Tuning.Batch;

namespace Gensor.Tests.Workflow;

/// <summary><c>--shard I/N</c>: a deterministic split of a suite by operator hash.</summary>
public sealed class ShardTests
{
    private static BatchPlan Suite(TempDirectory dir, bool reversed = false)
    {
        var specs = Enumerable.Range(1, 12)
            .Select(i => $$"""{"name": "mm{{i}}", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": {{8 * i}}, "n": 8, "k": 8} }""")
            .ToList();
        if (reversed)
        {
            specs.Reverse();
        }
        return BatchPlan.Read(dir.File(reversed ? "reversed.json" : "suite.json", "[" + string.Join(",\n", specs) + "]"));
    }

    [Fact]
    public void Shards_1_of_2_and_2_of_2_partition_the_suite()
    {
        using var dir = new TempDirectory();
        var whole = Suite(dir);

        var first = whole.InShard(ShardSpec.Parse("1/2")).Entries.Select(e => e.Name).ToArray();
        var second = whole.InShard(ShardSpec.Parse("2/2")).Entries.Select(e => e.Name).ToArray();

        Assert.Empty(first.Intersect(second));
        Assert.Equal(whole.Entries.Select(e => e.Name).Order(), first.Concat(second).Order());
        Assert.NotEmpty(first);
        Assert.NotEmpty(second);
    }

    [Fact]
    public void A_shard_does_not_depend_on_the_suites_order()
    {
        using var dir = new TempDirectory();

        var forward = Suite(dir).InShard(ShardSpec.Parse("2/3")).Entries.Select(e => e.Name).Order();
        var backward = Suite(dir, reversed: true).InShard(ShardSpec.Parse("2/3")).Entries.Select(e => e.Name).Order();

        Assert.Equal(forward, backward);
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1")]
    [InlineData("a/b")]
    public void A_malformed_shard_is_bad_input(string text)
    {
        var error = Assert.Throws<Gensor.Diagnostics.GensorException>(() => ShardSpec.Parse(text));

        Assert.Equal(2, error.Error.ExitCode);
    }
}
