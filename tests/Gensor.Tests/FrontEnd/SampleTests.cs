using Gensor.Etir;
using Gensor.FrontEnd;
using Xunit;

namespace Gensor.Tests.FrontEnd;

public class SampleTests
{
    private static Operator Sample(string file)
    {
        var spec = Assert.Single(SpecReader.ReadFile(Path.Combine(AppContext.BaseDirectory, "samples", file)));
        return OperatorBuilder.Build(spec);
    }

    private static string Describe(IEnumerable<Axis> axes) =>
        string.Join(" ", axes.Select(axis => $"{axis.Name}{(axis.Kind == AxisKind.Spatial ? "" : "~")}{axis.Extent}"));

    private static string Describe(IEnumerable<Tensor> tensors) =>
        string.Join(" ", tensors.Select(tensor => $"{tensor.Name}[{tensor.Shape}]"));

    // Axes are written name+extent, with '~' marking a reduce axis.
    [Theory]
    [InlineData("gemm.json", Reduction.Sum, "m128 n128 k~128", "C[128,128]", "A[128,128] B[128,128]")]
    [InlineData("bmm.json", Reduction.Sum, "b8 i64 j64 d~64", "S[8,64,64]", "Q[8,64,64] K[8,64,64]")]
    [InlineData("gemv.json", Reduction.Sum, "i1024 j~1024", "y[1024]", "A[1024,1024] x[1024]")]
    [InlineData("conv2d.json", Reduction.Sum, "n1 f32 y16 x16 c~16 r~3 s~3", "O[1,32,16,16]", "I[1,16,32,32] W[32,16,3,3]")]
    [InlineData("depthwise_conv.json", Reduction.Sum, "n1 c64 y56 x56 r~3 s~3", "O[1,64,56,56]", "I[1,64,56,56] W[64,3,3]")]
    // n and c are one run of O and of I: they fuse (AxisFusion).
    [InlineData("maxpool.json", Reduction.Max, "n_c64 y56 x56 r~2 s~2", "O[64,56,56]", "I[64,112,112]")]
    [InlineData("row_reduce.json", Reduction.Sum, "i1024 j~1024", "S[1024]", "A[1024,1024]")]
    [InlineData("elementwise.json", Reduction.None, "m1024 n1024", "C[1024,1024]", "A[1024,1024] B[1024,1024] bias[1024]")]
    [InlineData("gemm_bias_relu.json", Reduction.Sum, "m128 n128 k~128", "C[128,128]", "A[128,128] B[128,128] bias[128]")]
    public void SampleBuildsIntoTheExpectedOperator(string file, Reduction reduction, string axes, string output, string inputs)
    {
        var op = Sample(file);

        Assert.Equal(Path.GetFileNameWithoutExtension(file), op.Name);
        Assert.Equal(reduction, op.Reduction);
        Assert.Equal(axes, Describe(op.Axes));
        Assert.Equal(output, Describe([op.Output]));
        Assert.Equal(inputs, Describe(op.Inputs));
    }

    [Theory]
    [InlineData("gemm.json")]
    [InlineData("bmm.json")]
    [InlineData("gemv.json")]
    [InlineData("conv2d.json")]
    [InlineData("depthwise_conv.json")]
    [InlineData("maxpool.json")]
    [InlineData("row_reduce.json")]
    [InlineData("elementwise.json")]
    [InlineData("gemm_bias_relu.json")]
    public void SampleIsSmallEnoughForTheCpuSimulator(string file) =>
        Assert.InRange(Sample(file).IterationPoints, 1, 4_200_000);

    [Fact]
    public void ConvolutionIndexKeepsStrideAndPadding() =>
        Assert.Equal("y*2+r-1", Sample("conv2d.json").BodyReads.First().Indices[2].ToString());

    [Fact]
    public void EpilogueSampleReadsTheAccumulatedOutput() =>
        Assert.Equal("relu((C[m,n] + bias[n]))", Sample("gemm_bias_relu.json").Epilogue?.ToString());
}
