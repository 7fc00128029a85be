using Gensor.Backend.Lowering;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>What the generated C# looks like: constants, no checks where none are needed, the launch it declares.</summary>
public sealed class KernelSourceTests
{
    private static KernelSource Gemm(string shape, string schedule) =>
        CSharpKernelGenerator.Generate(new EtirState(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", shape), Schedule.Parse(schedule)), "K");

    [Fact]
    public void Tiles_that_divide_the_extents_need_no_bounds_checks()
    {
        var source = Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B");

        Assert.DoesNotContain("(uint)", source.Text);
        Assert.DoesNotContain("break;", source.Text);
    }

    [Fact]
    public void Ragged_extents_get_guarded_loads_reduce_points_and_stores()
    {
        var source = Gemm("m=60,n=64,k=30", "block=32x32 thread=4x4 reduce=8 shared=A,B");

        Assert.Contains("(uint)", source.Text);
        Assert.Contains("if (g_r0 >= 30) break;", source.Text);
        Assert.Contains("if (g_y0 < 60)", source.Text);
    }

    [Fact]
    public void Launch_configuration_follows_the_schedule()
    {
        var source = Gemm("m=64,n=96,k=32", "block=32x32 thread=4x2 reduce=8 shared=A,B");

        Assert.Equal(2 * 3, source.Launch.GridSize);
        Assert.Equal(8 * 16, source.Launch.GroupSize);
        Assert.Equal((32 * 8 + 8 * 32) * sizeof(float), source.Launch.SharedMemoryBytes);
        Assert.Equal(["C", "A", "B"], source.Launch.Tensors.Select(t => t.Name));
        Assert.Contains("public const int GroupSize = 128;", source.Text);
    }

    [Fact]
    public void The_outer_product_loads_each_operand_once_per_reduce_point()
    {
        var source = Gemm("m=64,n=64,k=32", "block=32x32 thread=4x4 reduce=8 shared=A,B");

        // 4 values of A and 4 of B feed 16 multiply-adds.
        Assert.Equal(8, source.Text.Split("float g_v").Length - 1);
        Assert.Equal(16, source.Text.Split("+= (g_v").Length - 1);
    }

    [Fact]
    public void A_schedule_that_does_not_fit_the_operator_is_refused()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=4");

        var error = Assert.Throws<ArgumentException>(() =>
            CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8x8 thread=3x1 reduce=4")), "K"));

        Assert.Contains("not a multiple", error.Message);
    }
}
