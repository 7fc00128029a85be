using Gensor.Etir;

namespace Gensor.Tests.Etir;

/// <summary>
/// Schedules are the keys of the construction graph's table of states, so equality and hashing
/// must follow their value: every tile, staged input and option, whatever built the arrays.
/// </summary>
public sealed class ScheduleEqualityTests
{
    private static readonly Schedule Base = Schedule.Parse("block=32x64 thread=4x8 vthread=1x2 reduce=16 shared=A,B vector=4 pad=4 prefetch=1 buffers=2 rthreads=4");

    [Fact]
    public void Schedules_built_apart_with_the_same_values_are_equal_and_hash_alike()
    {
        var rebuilt = new Schedule(
            ValueArray.From(new List<int> { 32, 64 }), ValueArray.Of(4, 8), ValueArray.Of(1, 2), ValueArray.Of(16),
            ValueArray.From(new[] { "A" }.Append("B")), 4)
        {
            SharedPadding = 4,
            RegisterPrefetch = true,
            SharedBuffers = 2,
            ReduceThreads = 4,
        };

        Assert.Equal(Base, rebuilt);
        Assert.True(Base == rebuilt);
        Assert.Equal(Base.GetHashCode(), rebuilt.GetHashCode());
        Assert.Equal(Base, Schedule.Parse(Base.ToString()));
    }

    public static TheoryData<string, Schedule> OneFieldChanged() => new()
    {
        { "block tile", Base with { BlockTile = ValueArray.Of(64, 32) } },
        { "block tile length", Base with { BlockTile = ValueArray.Of(32, 64, 1) } },
        { "thread tile", Base with { ThreadTile = ValueArray.Of(8, 4) } },
        { "virtual threads", Base with { VirtualThreads = ValueArray.Of(2, 1) } },
        { "reduce step", Base with { ReduceStep = ValueArray.Of(32) } },
        { "staged inputs", Base with { SharedInputs = ValueArray.Of("A") } },
        { "staged input names", Base with { SharedInputs = ValueArray.Of("A", "C") } },
        { "vector width", Base with { VectorWidth = 2 } },
        { "padding", Base with { SharedPadding = 0 } },
        { "reduce threads", Base with { ReduceThreads = 32 } },
        { "buffers", Base with { SharedBuffers = 1 } },
        { "prefetch", Base with { RegisterPrefetch = false } },
        { "tensor-core shape", Base with { Mma = MmaShape.M16N8K16 } },
        { "split", Base with { SplitReduce = 2 } },
        { "asynchronous copies", Base with { AsyncCopy = true } },
        { "reduce run", Base with { ReduceRun = 4 } },
    };

    [Theory]
    [MemberData(nameof(OneFieldChanged))]
    public void A_schedule_differing_in_one_field_is_another_state(string field, Schedule changed)
    {
        Assert.False(Base.Equals(changed), field);
        Assert.True(Base != changed, field);
        Assert.NotEqual(Base.GetHashCode(), changed.GetHashCode());
    }

    [Fact]
    public void Every_settable_property_is_one_the_equality_compares()
    {
        // Schedule's Equals and GetHashCode are written by hand: a new property must join them,
        // and OneFieldChanged above must change it.
        var settable = typeof(Schedule).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order().ToArray();

        Assert.Equal(
            ["AsyncCopy", "BlockTile", "Mma", "ReduceRun", "ReduceStep", "ReduceThreads", "RegisterPrefetch", "SharedBuffers", "SharedInputs", "SharedPadding", "SplitReduce", "ThreadTile", "VectorWidth", "VirtualThreads"],
            settable);
    }

    [Fact]
    public void Null_and_the_same_instance_compare_as_records_do()
    {
        Assert.False(Base.Equals(null));
        Assert.True(Base.Equals(Base));
        Assert.False(Base == null);
    }

    [Fact]
    public void Fields_may_be_separated_by_tabs()
    {
        Assert.Equal(Schedule.Parse("block=16x16 thread=2x2 reduce=8"), Schedule.Parse("block=16x16\tthread=2x2\treduce=8"));
    }

    [Fact]
    public void A_tensor_staged_twice_is_refused()
    {
        var error = Assert.Throws<FormatException>(() => Schedule.Parse("block=16x16 thread=2x2 reduce=8 shared=A,A"));

        Assert.Contains("names 'A' twice", error.Message);
    }
}
