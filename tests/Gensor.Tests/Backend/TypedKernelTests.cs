using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Kernels of f16 and bf16 tensors: loads widen to float32, stores round, and
/// vector copies and stores of 16-bit buffers go lane by lane. They run on the
/// CPU accelerator and match the reference within the type's tolerance.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class TypedKernelTests(CpuDeviceFixture fixture)
{
    public static TheoryData<string, string, string?, string> Cases => new()
    {
        { "C[m,n] += A[m,k] * B[k,n]", "f16", null, "block=16x16 thread=2x4 reduce=8 shared=A,B vector=4" },
        { "C[m,n] += A[m,k] * B[k,n]", "bf16", null, "block=16x16 thread=2x4 vthread=1x2 reduce=4 shared=A vector=2 prefetch=1" },
        { "C[m,n] += A[m,k] * B[k,n]", "bf16", "f32", "block=16x16 thread=2x2 reduce=8" },
        { "C[m,n] += A[m,k] * B[k,n]", "f16", "f32", "block=32x16 thread=4x4 reduce=8 shared=A,B vector=4 pad=4 prefetch=1 buffers=2" },
        { "C[m] += A[m,k]", "bf16", null, "block=32 thread=1 reduce=16 shared=A vector=4 rthreads=4" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_matches_the_reference(string compute, string dtype, string? outputType, string schedule)
    {
        var spec = SpecReader.FromInline(compute, compute.Contains("B[") ? "m=32,n=32,k=24" : "m=32,k=40", "typed", null) with
        {
            Dtype = dtype,
            Dtypes = outputType is null ? null : new Dictionary<string, string> { ["C"] = outputType },
        };
        var op = OperatorBuilder.Build(spec);
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "TypedKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 11);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void Parameters_have_the_tensors_types()
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=8", "t", null) with
        {
            Dtype = "bf16",
            Dtypes = new Dictionary<string, string> { ["A"] = "f16" },
        });

        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8x8 thread=1x1 reduce=8")), "K");

        Assert.Contains("ArrayView1D<ushort, Stride1D.Dense> t_C, ArrayView1D<Half, Stride1D.Dense> t_A, ArrayView1D<ushort, Stride1D.Dense> t_B", source.Text);
        Assert.Contains("FloatToBFloat16(", source.Text);
        Assert.Equal([ElementType.BF16, ElementType.F16, ElementType.BF16], source.Launch.Tensors.Select(t => t.Type));
    }
}
