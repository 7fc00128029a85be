using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>ILGPU's PTX and OpenCL back ends compile generated kernels with no device present.</summary>
public sealed class OfflineEmissionTests
{
    private static System.Reflection.MethodInfo GemmKernel()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=64");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=32x32 thread=4x4 reduce=8 shared=A,B")), "PtxKernel");
        return RoslynKernelCompiler.Compile([source]).Single().Method!;
    }

    [Theory]
    [InlineData("sm_90")]
    [InlineData("sm_70")]
    public void Ptx_targets_the_requested_architecture(string architecture)
    {
        var ptx = OfflineKernelCompiler.Ptx(GemmKernel(), architecture);

        Assert.Contains($".target {architecture}", ptx);
        Assert.Contains("fma.rn.f32", ptx);
        Assert.Contains("bar.sync", ptx);
    }

    [Fact]
    public void OpenCl_source_is_a_kernel_function()
    {
        var source = OfflineKernelCompiler.OpenCl(GemmKernel());

        Assert.Contains("kernel void", source);
        Assert.Contains("barrier", source);
    }

    [Fact]
    public void An_unknown_architecture_is_bad_input()
    {
        var error = Assert.Throws<GensorException>(() => OfflineKernelCompiler.ParseArchitecture("sm_x"));

        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
    }
}
