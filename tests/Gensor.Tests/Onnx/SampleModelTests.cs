namespace Gensor.Tests.Onnx;

/// <summary>samples/models/tiny_cnn.onnx is the model this builder makes, so it can be made again.</summary>
public class SampleModelTests
{
    /// <summary>Conv 3->8 (3x3, pad 1) + ReLU, MaxPool 2x2, Flatten, Gemm 128->10 on a 1x3x8x8 input.</summary>
    public static OnnxModelBuilder TinyCnn() => new OnnxModelBuilder()
        .Input("image", 1, 3, 8, 8).Weight("conv_w", [8, 3, 3, 3]).Weight("conv_b", [8]).Weight("fc_w", [10, 128]).Weight("fc_b", [10])
        .NamedNode("conv", "Conv", ["image", "conv_w", "conv_b"], ["c"], ("pads", new long[] { 1, 1, 1, 1 }))
        .NamedNode("relu", "Relu", ["c"], ["r"])
        .NamedNode("pool", "MaxPool", ["r"], ["p"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }))
        .NamedNode("flatten", "Flatten", ["p"], ["f"])
        .NamedNode("fc", "Gemm", ["f", "fc_w", "fc_b"], ["logits"], ("transB", 1L))
        .Output("logits", 1, 10);

    [Fact]
    public void TinyCnnSampleIsWhatTheBuilderMakes()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "models", "tiny_cnn.onnx");
        var bytes = TinyCnn().Bytes();
        if (Environment.GetEnvironmentVariable("GENSOR_WRITE_SAMPLES") == "1")
        {
            File.WriteAllBytes(path, bytes);
        }

        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void TinyCnnMatchesOnnxRuntime() =>
        Assert.Equal(["Conv", "MaxPool", "Gemm"], OnnxRuntimeOracle.AssertMatches(TinyCnn()).Entries.Select(entry => entry.OnnxOp));
}
