using CsCheck;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Construction.Space;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Hardware;

namespace Gensor.Tests.Properties;

/// <summary>
/// The cost model's estimate is a time (issue 13): for any extents up to
/// int.MaxValue and any legal schedule of the space, it is finite and at least
/// the launch overhead, never negative or NaN from an int that wrapped.
/// </summary>
public sealed class CostEstimatePropertyTests
{
    private static readonly (string Compute, string[] Axes)[] Shapes =
    [
        ("C[m,n] += A[m,k] * B[k,n]", ["m", "n", "k"]),
        ("C[m,n] = A[m,n] + B[n]", ["m", "n"]),
        ("C[m] += A[m,k]", ["m", "k"]),
        ("C[m] = A[m] * 2", ["m"]),
        ("C[n] += A[k] * B[k,n]", ["n", "k"]),
    ];

    /// <summary>Extents at and near the ends of int, and anything between.</summary>
    private static readonly Gen<int> Extent = Gen.Frequency(
        (3, Gen.OneOf(1, 2, 255, 256, 257, 65535, 65536, 1 << 30, int.MaxValue - 255, int.MaxValue - 1, int.MaxValue)),
        (2, Gen.Int[1, int.MaxValue]),
        (1, Gen.Int[1, 4096]));

    private static readonly Gen<HardwareProfile> Profile = Gen.OneOf(BuiltInProfiles.H100, BuiltInProfiles.Cpu, BuiltInProfiles.Orin);

    private static int PowerOfTwo(uint bits, int cap) => 1 << (int)(bits % (uint)(Math.Log2(cap) + 1));

    /// <summary>A schedule of the operator's space drawn from <paramref name="bits"/>; null when the draw leaves the space.</summary>
    private static Schedule? Draw(Operator op, uint[] bits)
    {
        var space = ScheduleSpace.For(op);
        var spatial = op.SpatialRank;
        var block = new int[spatial];
        var thread = new int[spatial];
        var vthread = new int[spatial];
        for (var i = 0; i < spatial; i++)
        {
            block[i] = PowerOfTwo(bits[i], space.BlockCap(i));
            thread[i] = PowerOfTwo(bits[i + 3], Math.Min(block[i], ScheduleSpace.MaxThreadTile));
            vthread[i] = PowerOfTwo(bits[i + 6], Math.Min(thread[i], ScheduleSpace.MaxVirtualThreads));
        }
        var reduce = Enumerable.Range(0, op.Axes.Count - spatial)
            .Select(j => space.ReduceChoices(j)[(int)(bits[9 + j] % (uint)space.ReduceChoices(j).Count)]).ToArray();
        var shared = space.StageableInputs.Where((_, i) => (bits[11] >> i & 1) == 1).ToArray();
        var variants = ScheduleSpace.CopyVariants(shared.Length > 0);
        var (vector, padding, prefetch, buffers, asyncCopy) = variants[(int)(bits[12] % (uint)variants.Count)];
        var schedule = new Schedule(ValueArray.From(block), ValueArray.From(thread), ValueArray.From(vthread), ValueArray.From(reduce),
            ValueArray.From(shared), vector)
        {
            SharedPadding = padding,
            RegisterPrefetch = prefetch,
            SharedBuffers = buffers,
            AsyncCopy = asyncCopy,
            ReduceThreads = space.ReduceThreads[(int)(bits[13] % (uint)space.ReduceThreads.Count)],
            SplitReduce = space.Splits[(int)(bits[14] % (uint)space.Splits.Count)],
        };
        return space.Contains(schedule) ? schedule : null;
    }

    [Fact]
    public void Every_estimate_of_a_legal_schedule_is_a_finite_time_at_least_the_launch()
    {
        Gen.Select(Gen.Int[0, Shapes.Length - 1], Extent.Array[3], Gen.UInt.Array[15], Profile, (shape, extents, bits, profile) => (shape, extents, bits, profile))
            .Sample((shape, extents, bits, profile) =>
            {
                var (compute, axes) = Shapes[shape];
                var text = string.Join(",", axes.Select((axis, i) => $"{axis}={extents[i]}"));
                Operator op;
                try
                {
                    op = OperatorBuilder.Build(SpecReader.FromInline(compute, text, "op", null));
                }
                catch (GensorException)
                {
                    return true; // refused as bad input (too many elements): nothing to estimate
                }
                if (Draw(op, bits) is not { } schedule || Legality.Check(op, schedule, profile) is not null)
                {
                    return true;
                }
                var ms = CostModel.EstimateMs(op, schedule, profile);
                var breakdown = CostModel.Breakdown(op, schedule, profile);
                return double.IsFinite(ms) && ms >= profile.LaunchMicroseconds / 1e3
                    && double.IsFinite(breakdown.TotalMs) && breakdown.TotalMs >= profile.LaunchMicroseconds / 1e3
                    && breakdown.Blocks > 0 && breakdown.Stages > 0;
            }, iter: 3000, threads: 1);
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=2147483647,n=1,k=1", "h100")]
    [InlineData("C[m,n] = A[m,n] + B[n]", "m=1,n=2147483647", "orin")]
    [InlineData("C[m] = A[m] * 2", "m=2147483647", "cpu")]
    public void The_policy_choice_for_extents_of_int_max_has_a_positive_estimate(string compute, string shape, string target)
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null));
        var profile = BuiltInProfiles.All.Single(p => p.Name == target);

        var result = PolicyCatalog.Get("gensor").Construct(op, profile, new ConstructionOptions(TopK: 3));

        Assert.NotEmpty(result.Candidates);
        Assert.All(result.Candidates, candidate =>
        {
            Assert.True(double.IsFinite(candidate.EstimatedMs) && candidate.EstimatedMs > 0, $"{candidate.Schedule}: {candidate.EstimatedMs} ms");
            Assert.Equal(candidate.EstimatedMs, CostModel.EstimateMs(op, candidate.Schedule, profile));
        });
    }

    [Theory]
    [InlineData("m=128,n=128,k=16777088")]
    [InlineData("m=16777088,n=128,k=128")]
    [InlineData("m=128,n=16777088,k=128")]
    public void A_tensor_core_estimate_for_tensors_of_nearly_int_max_elements_is_a_finite_positive_time(string shape)
    {
        // Every tensor holds at most int.MaxValue elements, and tensor-core tiles divide the extents.
        var op = OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", shape, "op", null) with { Dtype = "f16" });
        var schedule = Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16");
        Assert.Null(Legality.Check(op, schedule, BuiltInProfiles.H100));

        var ms = CostModel.EstimateMs(op, schedule, BuiltInProfiles.H100);

        Assert.True(double.IsFinite(ms) && ms > 0, $"{ms} ms");
    }
}
