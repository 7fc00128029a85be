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
/// prefetch, double buffering, reduce threads and split-K, on extents that tiles do not divide) lower to kernels that match
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

        CompileAndVerify(op, [.. schedules.Select((s, i) => CSharpKernelGenerator.Generate(new EtirState(op, s), $"Random{sample}{i}"))], seed: 3);
    }

    [Fact]
    public void Random_split_k_schedules_verify()
    {
        // Blocks that share one output's reduction add their partial sums into it (split-K); the
        // operators above reduce too little for the space to offer it.
        var op = Support.Operators.SmallSample("gemv", "i=40,j=300");
        var schedules = RandomSchedules.Draw(op, new Random(Seed("gemv split-K")), 60, BuiltInProfiles.Cpu)
            .Where(s => s.SplitReduce > 1).Take(SchedulesPerOperator).ToArray();
        Assert.Equal(SchedulesPerOperator, schedules.Length);

        CompileAndVerify(op, [.. schedules.Select((s, i) => CSharpKernelGenerator.Generate(new EtirState(op, s), $"RandomSplit{i}"))], seed: 3);
    }

    [Theory]
    // Indices where different tile positions, or places of a lane's run, reach one element (these two failed to lower).
    [InlineData("y[h,w] += x[h+w,k] * z[k]", "h=12,w=20,k=16")]
    [InlineData("y[w] += x[w+s] * z[s]", "w=40,s=16")]
    // Strided, flipped and transposed indices, and one tensor read twice.
    [InlineData("O[y,x] += I[y-r+2,x*2+s] * W[r,s]", "y=9,x=10,r=3,s=3")]
    [InlineData("y[i,j] += x[i,k] * x[j,k]", "i=16,j=12,k=32")]
    public void Random_schedules_of_uncommon_indices_lower_and_verify(string compute, string shape)
    {
        var op = Support.Operators.Parse(compute, shape);
        // Lowering alone is cheap: every draw for both profiles; a few of them also run.
        var drawn = RandomSchedules.Draw(op, new Random(Seed(compute)), 150, BuiltInProfiles.H100)
            .Concat(RandomSchedules.Draw(op, new Random(Seed(compute)), 150, BuiltInProfiles.Cpu)).ToArray();
        var sources = new List<KernelSource>();
        foreach (var schedule in drawn)
        {
            var exception = Record.Exception(() => sources.Add(CSharpKernelGenerator.Generate(new EtirState(op, schedule), $"Uncommon{sources.Count}")));
            Assert.True(exception is null, $"{schedule}: {exception}");
        }

        CompileAndVerify(op, [.. sources.Where(s => s.State.Schedule.ThreadsPerBlock <= 128).Take(SchedulesPerOperator)], seed: 5);
    }

    /// <summary>Compiles <paramref name="sources"/> together and runs each against the reference on the CPU accelerator.</summary>
    private void CompileAndVerify(Operator op, KernelSource[] sources, int seed)
    {
        var compiled = RoslynKernelCompiler.Compile(sources);
        using var runner = new KernelRunner(fixture.Device, op, seed);
        foreach (var kernel in compiled)
        {
            Assert.True(kernel.Error is null, $"{kernel.Source.State.Schedule}: {kernel.Error}");
            var measurement = runner.Run(kernel, CpuDeviceFixture.Once);
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
