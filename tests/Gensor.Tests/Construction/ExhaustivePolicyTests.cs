using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Diagnostics;
using Xunit;

namespace Gensor.Tests.Construction;

public class ExhaustivePolicyTests
{
    [Fact]
    public void Refuses_a_space_above_its_limit_giving_the_count()
    {
        var op = TestOperators.Conv2d(32, 256, 256, 56, 3, 1, 1);
        var size = ScheduleSpace.For(op).Size;

        var error = Assert.Throws<GensorException>(() => new ExhaustivePolicy().Construct(op, BuiltInProfiles.H100, new ConstructionOptions()));

        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
        Assert.True(size > ExhaustivePolicy.DefaultMaxStates);
        Assert.Contains(size.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public void Space_size_is_the_product_of_the_choices_per_axis()
    {
        // Per spatial axis of extent 4: block 1 (1 triple), 2 (3), 4 (6) = 10 (block, thread, vthread)
        // triples; reduce steps 1, 2, 4; nothing staged (1 copy variant) or one of 3
        // non-empty subsets of {A, B} with 3 vector widths x 2 paddings x 4 pipelines (none,
        // register prefetch, prefetch into two buffers, asynchronous copies into two buffers)
        // x 2 reduce runs (A[m,k] is contiguous along k); 4 reduce-thread choices.
        var op = TestOperators.Gemm(4, 4, 4);

        Assert.Equal(10L * 10 * 3 * (1 + 3 * 3 * 2 * 4 * 2) * 4, ScheduleSpace.For(op).Size);
    }

    [Fact]
    public void Reports_the_whole_space_as_visited()
    {
        var op = TestOperators.Gemm(16, 16, 16);

        var result = new ExhaustivePolicy().Construct(op, BuiltInProfiles.H100, new ConstructionOptions());

        Assert.Equal(ScheduleSpace.For(op).Size, result.StatesVisited);
    }

    [Fact]
    public void Returns_the_best_schedule_of_each_structure_before_refinements_of_one()
    {
        var op = TestOperators.Gemm(64, 64, 32);

        var result = new ExhaustivePolicy().Construct(op, BuiltInProfiles.H100, new ConstructionOptions(TopK: 6));

        Assert.Equal(6, result.Candidates.Select(c => Ranking.StructureOf(c.Schedule)).Distinct().Count());
    }
}
