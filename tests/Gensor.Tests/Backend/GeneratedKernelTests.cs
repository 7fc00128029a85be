using Gensor.Backend.Compilation;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// Every sample operator, lowered with schedules that exercise each feature of
/// the generator (shared staging, register tiles, virtual threads, vector
/// copies, ragged boundaries), runs on the CPU accelerator and matches the reference.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class GeneratedKernelTests(CpuDeviceFixture fixture)
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "gemm", "m=32,n=32,k=16", "block=16x16 thread=2x2 reduce=8 shared=A,B" },
        { "gemm", "m=30,n=20,k=13", "block=16x16 thread=2x4 vthread=2x2 reduce=4 shared=A,B vector=2" },
        { "gemm", "m=17,n=9,k=5", "block=8x8 thread=1x1 reduce=1" },
        { "gemm", "m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4" },
        { "gemm", "m=36,n=44,k=20", "block=16x16 thread=2x4 reduce=4 shared=A,B vector=4" },
        { "gemm", "m=24,n=40,k=16", "block=8x16 thread=2x8 vthread=1x2 reduce=8 shared=A,B vector=2" },
        // The shape of 1000x999x123 at a tenth of the size: nothing divides.
        { "gemm", "m=100,n=99,k=23", "block=32x32 thread=4x4 vthread=1x2 reduce=8 shared=A,B vector=4" },
        { "gemm_bias_relu", "m=24,n=40,k=12", "block=8x32 thread=2x4 vthread=1x2 reduce=4 shared=A,B vector=4" },
        { "bmm", "b=2,i=12,j=10,d=8", "block=1x8x8 thread=1x2x2 reduce=4 shared=Q,K" },
        // Padded shared rows and register prefetch (double buffering).
        { "gemm", "m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B vector=4 pad=4 prefetch=1" },
        { "gemm", "m=36,n=44,k=20", "block=16x16 thread=2x4 reduce=4 shared=A,B vector=4 prefetch=1" },
        { "gemm", "m=30,n=20,k=13", "block=16x16 thread=2x4 vthread=2x2 reduce=4 shared=A,B vector=2 pad=4 prefetch=1" },
        { "conv2d", "n=1,f=8,y=7,x=7,c=4,r=3,s=3", "block=1x4x4x4 thread=1x2x2x1 reduce=2x3x3 shared=I,W pad=4 prefetch=1" },
        { "maxpool", "n=1,c=4,y=5,x=5,r=3,s=3", "block=2x4x4 thread=1x2x2 reduce=2x2 shared=I prefetch=1" },
        { "row_reduce", "i=50,j=77", "block=32 thread=2 reduce=16 shared=A vector=4 pad=4 prefetch=1" },
        { "elementwise", "m=9,n=33", "block=4x32 thread=1x4 reduce=- shared=A pad=4 prefetch=1" },
        { "gemv", "i=40,j=33", "block=32 thread=2 reduce=8 shared=A" },
        { "conv2d", "n=1,f=8,y=7,x=7,c=4,r=3,s=3", "block=1x4x4x4 thread=1x2x2x1 reduce=2x3x3 shared=I,W" },
        { "conv2d", "n=2,f=4,y=5,x=5,c=3,r=3,s=3", "block=1x4x2x4 thread=1x2x1x2 vthread=1x2x1x1 reduce=1x1x3" },
        { "depthwise_conv", "n=1,c=6,y=9,x=9,r=3,s=3", "block=1x2x4x8 thread=1x1x2x2 reduce=3x3 shared=I" },
        { "maxpool", "n=1,c=4,y=5,x=5,r=3,s=3", "block=2x4x4 thread=1x2x2 reduce=2x2 shared=I" },
        { "row_reduce", "i=50,j=77", "block=32 thread=2 reduce=16 shared=A vector=4" },
        { "elementwise", "m=9,n=33", "block=4x32 thread=1x4 reduce=- shared=A" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_matches_the_reference_on_the_cpu_accelerator(string sample, string shape, string schedule)
    {
        var op = Operators.SmallSample(sample, shape);
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "TestKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 7);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
        Assert.NotNull(measurement.MedianMs);
    }

    [Fact]
    public void A_kernel_that_computes_the_wrong_thing_is_not_verified()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=4");
        var other = Operators.Parse("C[m,n] += A[m,k] * A[m,k]", "m=8,n=8,k=4");
        var wrongSource = CSharpKernelGenerator.Generate(new EtirState(other, Schedule.Parse("block=8x8 thread=1x1 reduce=4")), "WrongKernel");
        // Same argument list shape (C, A, B) but a body that ignores B.
        var text = wrongSource.Text.Replace("ArrayView1D<float, Stride1D.Dense> t_A)", "ArrayView1D<float, Stride1D.Dense> t_A, ArrayView1D<float, Stride1D.Dense> t_B)");
        // The runner passes buffers as the source's launch contract says: give it the real operator's (C, A, B).
        var wrong = wrongSource with { Text = text, Launch = LaunchContract.Of(new EtirState(op, wrongSource.State.Schedule)) };
        var compiled = RoslynKernelCompiler.Compile([wrong]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 1);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.False(measurement.Verified);
        Assert.Null(measurement.MedianMs);
        Assert.Contains("wrong result", measurement.Error);
    }

    [Fact]
    public void A_source_that_does_not_compile_fails_alone_and_the_others_still_compile()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=4");
        var good = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8x8 thread=1x1 reduce=4")), "GoodKernel");
        var bad = good with { ClassName = "BadKernel", Text = good.Text.Replace("class GoodKernel", "class BadKernel").Replace("g_acc0 = (g_acc0 +", "g_acc0 = (undefined_name + g_acc0 +") };

        var compiled = RoslynKernelCompiler.Compile([bad, good]);

        Assert.NotNull(compiled[0].Error);
        Assert.Null(compiled[0].Method);
        Assert.Null(compiled[1].Error);
        Assert.NotNull(compiled[1].Method);
    }
}
