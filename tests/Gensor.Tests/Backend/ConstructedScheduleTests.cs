using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// What the policies construct is runnable: the best candidate of each policy,
/// for the CPU accelerator's profile, lowers to a kernel that matches the reference.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ConstructedScheduleTests(CpuDeviceFixture fixture)
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        var samples = new (string Sample, string Shape)[]
        {
            ("gemm", "m=48,n=40,k=24"),
            ("bmm", "b=2,i=16,j=12,d=8"),
            ("conv2d", "n=1,f=8,y=6,x=6,c=4,r=3,s=3"),
            ("maxpool", "n=1,c=4,y=6,x=6,r=3,s=3"),
            ("row_reduce", "i=40,j=50"),
            ("gemm_bias_relu", "m=20,n=36,k=12"),
        };
        foreach (var (sample, shape) in samples)
        {
            foreach (var policy in new[] { "gensor", "roller", "naive" })
            {
                data.Add(sample, shape, policy);
            }
        }
        data.Add("gemm", "m=16,n=16,k=8", "exhaustive");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_best_constructed_schedule_verifies_on_the_cpu_accelerator(string sample, string shape, string policy)
    {
        var op = Operators.SmallSample(sample, shape);
        var profile = ProfileCatalog.Get("cpu");
        var construction = PolicyCatalog.Get(policy).Construct(op, profile, new ConstructionOptions(TopK: 1, Seed: 3));
        var best = construction.Candidates[0].Schedule;

        var source = CSharpKernelGenerator.Generate(new EtirState(op, best), "ConstructedKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        using var runner = new KernelRunner(fixture.Device, op, seed: 5);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, $"{best}: {measurement.Error}");
    }
}
