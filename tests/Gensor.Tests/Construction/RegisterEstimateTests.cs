using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Construction.Profiles;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Construction;

/// <summary>
/// The register estimate counts the operands live at once, not every read
/// (issue 13, item 13): a long expression needs what evaluating its tree takes.
/// </summary>
public sealed class RegisterEstimateTests
{
    private static Operator LongSum(int terms) =>
        Operators.Parse("C[m] = " + string.Join(" + ", Enumerable.Range(0, terms).Select(i => $"T{i}[m]")), "m=64");

    [Fact]
    public void A_sum_of_300_reads_fits_in_a_thread()
    {
        var op = LongSum(300);

        var registers = Legality.RegistersPerThread(op, Schedule.Parse("block=64 thread=1 reduce=-"));

        // One accumulator, two registers for a left-to-right sum, and the fixed overhead.
        Assert.Equal(1 + 2 + Legality.BaseRegisters, registers);
    }

    [Fact]
    public void Every_policy_constructs_a_legal_schedule_for_a_long_expression()
    {
        var op = LongSum(300);

        foreach (var policy in new[] { "naive", "roller", "gensor" })
        {
            var construction = PolicyCatalog.Get(policy).Construct(op, BuiltInProfiles.H100, new ConstructionOptions(3, 0));
            Assert.Contains(construction.Candidates, c => Legality.Check(op, c.Schedule, BuiltInProfiles.H100) is null);
        }
    }

    [Fact]
    public void A_matrix_product_keeps_its_outer_product_operands_live()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");

        var registers = Legality.RegistersPerThread(op, Schedule.Parse("block=64x64 thread=8x8 reduce=8"));

        // 64 accumulators and a column of A and a row of B (8 + 8), as before.
        Assert.Equal(64 + 16 + Legality.BaseRegisters, registers);
    }
}
