using Gensor.Backend.Runtime;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Reference;
using Gensor.Tests.Support;
using Gensor.Tuning;
using Gensor.Tuning.Isolation;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gensor.Tests.Workflow;

/// <summary>
/// The reference evaluation runs before the first candidate, and at default verbosity nothing else is
/// printed until it is done: a long one is announced with its size and a rough time.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ReferenceWaitTests(CpuDeviceFixture fixture)
{
    [Fact]
    public void The_estimate_grows_with_the_terms_and_the_operands_and_shrinks_with_cores()
    {
        var small = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");
        var large = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=4096,n=4096,k=4096");
        var fourReads = Operators.Parse("C[m,n] += A[m,k] * B[k,n] * D[m,k] * E[k,n]", "m=4096,n=4096,k=4096");
        var threeReads = Operators.Parse("C[m,n] += A[m,k] * B[k,n] * D[m,k]", "m=4096,n=4096,k=4096");

        Assert.True(ReferenceEvaluator.EstimatedTime(small, 2) < TimeSpan.FromSeconds(1));
        Assert.True(ReferenceEvaluator.EstimatedTime(large, 2) > TimeSpan.FromMinutes(1));
        // A product of two reads goes a row at a time, 15 times the terms a second of the general path.
        Assert.Equal(2 * 15, ReferenceEvaluator.EstimatedTime(threeReads, 2) / ReferenceEvaluator.EstimatedTime(large, 2), 6);
        Assert.Equal(1.5, ReferenceEvaluator.EstimatedTime(fourReads, 2) / ReferenceEvaluator.EstimatedTime(threeReads, 2), 6);
        // A maximum of products takes the general path.
        var maximum = Operators.Parse("C[m,n] max= A[m,k] * B[k,n]", "m=4096,n=4096,k=4096");
        Assert.Equal(15, ReferenceEvaluator.EstimatedTime(maximum, 2) / ReferenceEvaluator.EstimatedTime(large, 2), 6);
        Assert.Equal(8, ReferenceEvaluator.EstimatedTime(large, 2) / ReferenceEvaluator.EstimatedTime(large, 16), 6);
    }

    [Theory]
    [InlineData("m=8192,n=8192,k=8192", true)]
    [InlineData("m=32,n=32,k=32", false)]
    public void A_long_reference_is_announced_as_a_warning_before_it_starts(string shape, bool announced)
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", shape);
        var logger = new ListLogger();
        var tuner = new Tuner(fixture.Device, logger, new RefusingMeasurer());

        tuner.Tune(new TuneRequest(op, new RollerPolicy(), BuiltInProfiles.Cpu, BuiltInProfiles.Cpu, TopK: 1));

        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("reference evaluation")).ToArray();
        Assert.Equal(announced ? 1 : 0, warnings.Length);
        if (announced)
        {
            Assert.Contains("5.5e11 terms", warnings[0].Message);
            Assert.Matches("about [0-9]+ (minutes|hours|days)", warnings[0].Message);
        }
    }

    /// <summary>Measures nothing (so no reference is evaluated): the test is about what is said before.</summary>
    private sealed class RefusingMeasurer : ICandidateMeasurer
    {
        public double MeasureAll(Operator op, IReadOnlyList<Schedule> schedules, int seed, Action<int, Measurement> onResult)
        {
            for (var i = 0; i < schedules.Count; i++)
            {
                onResult(i, Measurement.Failed("not measured in this test"));
            }
            return 0;
        }
    }
}
