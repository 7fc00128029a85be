using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Construction;
using Gensor.Construction.Space;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// Seeded random legal schedules drawn from the whole schedule space (every
/// combination of tiles, virtual threads, staging, vector width, padding,
/// prefetch, double buffering and reduce threads, on extents that tiles do not divide) lower to kernels that match
/// the reference on the CPU accelerator. Hand-picked cases miss combinations;
/// these do not choose.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class RandomScheduleTests(CpuDeviceFixture fixture)
{
    private const int SchedulesPerOperator = 5;

    public static TheoryData<string, string> Operators => new()
    {
        { "gemm", "m=30,n=20,k=13" },
        { "gemm_bias_relu", "m=24,n=18,k=12" },
        { "bmm", "b=2,i=12,j=10,d=8" },
        { "conv2d", "n=1,f=6,y=7,x=7,c=3,r=3,s=3" },
        { "depthwise_conv", "n=1,c=5,y=9,x=9,r=3,s=3" },
        { "maxpool", "n=1,c=3,y=7,x=7,r=3,s=3" },
        { "row_reduce", "i=21,j=37" },
        { "gemv", "i=40,j=33" },
        { "elementwise", "m=9,n=33" },
    };

    [Theory]
    [MemberData(nameof(Operators))]
    public void Random_legal_schedules_verify(string sample, string shape)
    {
        var op = Support.Operators.SmallSample(sample, shape);
        var schedules = RandomSchedules.Draw(op, new Random(Seed(sample)), SchedulesPerOperator, BuiltInProfiles.Cpu);
        var sources = schedules.Select((s, i) => CSharpKernelGenerator.Generate(new EtirState(op, s), $"Random{sample}{i}")).ToArray();
        var compiled = RoslynKernelCompiler.Compile(sources);

        using var runner = new KernelRunner(fixture.Device, op, seed: 3);
        foreach (var kernel in compiled)
        {
            Assert.True(kernel.Error is null, $"{kernel.Source.State.Schedule}: {kernel.Error}");
            var measurement = runner.Run(kernel, MeasureOptions.Simulated with { MinRepetitions = 1, MaxRepetitions = 1, WarmupRuns = 0 });
            Assert.True(measurement.Verified, $"{kernel.Source.State.Schedule}: {measurement.Error}");
        }
    }

    [Fact]
    public void The_draws_cover_every_generator_feature()
    {
        var drawn = Operators.SelectMany(row =>
        {
            var (sample, shape) = ((string)row[0], (string)row[1]);
            return RandomSchedules.Draw(Support.Operators.SmallSample(sample, shape), new Random(Seed(sample)), SchedulesPerOperator, BuiltInProfiles.Cpu);
        }).ToArray();

        Assert.Contains(drawn, s => s.VirtualThreads.Any(v => v > 1));
        Assert.Contains(drawn, s => s.SharedInputs.Count > 0 && s.VectorWidth == 4);
        Assert.Contains(drawn, s => s.SharedInputs.Count > 0 && s.VectorWidth == 2);
        Assert.Contains(drawn, s => s.SharedPadding > 0);
        Assert.Contains(drawn, s => s.RegisterPrefetch && s.SharedBuffers == 1);
        Assert.Contains(drawn, s => s.SharedBuffers == 2);
        Assert.Contains(drawn, s => s.ReduceThreads > 1);
        Assert.Contains(drawn, s => s.SharedInputs.Count == 0);
    }

    /// <summary>A seed fixed per sample (string.GetHashCode is randomized per process).</summary>
    private static int Seed(string sample) => sample.Aggregate(17, (hash, c) => hash * 31 + c) & 0x7fffffff;
}
