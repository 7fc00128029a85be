using Gensor.Onnx.Import;

namespace Gensor.Tests.Onnx;

/// <summary>
/// The ONNX project's light SqueezeNet and VGG-19 (samples/models) import by
/// rule: their convolutions and multiply-adds are those of the networks, and
/// every node is accounted for.
/// </summary>
public class RealModelTests
{
    private static ImportedModel Import(string file) =>
        OnnxImporter.Import(Path.Combine(AppContext.BaseDirectory, "samples", "models", file), ImportOptions.Default);

    [Theory]
    [InlineData("light_squeezenet.onnx", 26, 18)]
    [InlineData("light_vgg19.onnx", 16, 9)]
    public void ConvEntriesCountEveryConvNodeOnce(string file, int convolutions, int distinct)
    {
        var conv = Import(file).Entries.Where(entry => entry.OnnxOp == "Conv").ToList();

        Assert.Equal(convolutions, conv.Sum(entry => entry.Count));
        Assert.Equal(distinct, conv.Count);
    }

    [Theory]
    [InlineData("light_squeezenet.onnx", 0.349e9)]
    [InlineData("light_vgg19.onnx", 19.508e9)]
    public void ConvMultiplyAddsAreTheNetworksWithinOnePercent(string file, double multiplyAdds)
    {
        var entries = Import(file).Entries.Where(entry => entry.OnnxOp == "Conv");

        var total = entries.Sum(entry => entry.Count * (double)entry.Spec.Shape.Values.Aggregate(1L, (product, extent) => product * extent));

        Assert.InRange(total, multiplyAdds * 0.99, multiplyAdds * 1.01);
    }

    [Theory]
    [InlineData("light_squeezenet.onnx", 105)]
    [InlineData("light_vgg19.onnx", 82)]
    public void EveryNodeIsAccountedForAndNoneIsUnsupported(string file, int nodes)
    {
        var model = Import(file);

        Assert.Equal(nodes, model.Nodes.Count);
        Assert.Empty(model.Unsupported);
        Assert.Empty(model.Warnings);
    }

    [Fact]
    public void SqueezeNetsReluNodesAreAllFoldedIntoItsConvolutions()
    {
        var nodes = Import("light_squeezenet.onnx").Nodes;

        Assert.All(nodes.Where(node => node.OpType == "Relu"), node => Assert.Equal(NodeRole.Fused, node.Role));
        Assert.All(nodes.Where(node => node.OpType is "Concat" or "Dropout"), node => Assert.Equal(NodeRole.Layout, node.Role));
        Assert.All(nodes.Where(node => node.OpType == "ConstantOfShape"), node => Assert.Equal(NodeRole.Constant, node.Role));
    }

    [Fact]
    public void VggsFullyConnectedLayersAreGemmsWithTransposedWeights()
    {
        var gemm = Import("light_vgg19.onnx").Entries.Where(entry => entry.OnnxOp == "Gemm").ToList();

        Assert.Equal([25088L, 4096, 4096], gemm.Select(entry => entry.Spec.Shape["k"]));
        Assert.All(gemm, entry => Assert.Equal("O[m,n] += A[m,k] * B[n,k]", entry.Spec.Compute));
    }

    [Fact]
    public void TheImportedSuiteReadsBackAsTheSameSpecs()
    {
        var suite = Import("light_squeezenet.onnx").Suite;
        using var file = new Gensor.Tests.FrontEnd.TempFile(Gensor.FrontEnd.OperatorSpecWriter.ToSuiteJson(suite));

        var read = Gensor.FrontEnd.SpecReader.ReadFile(file.Path);

        Assert.Equal(suite.Select(spec => (spec.Name, spec.Compute, spec.Epilogue, spec.Count, spec.OnnxOp, string.Join(",", spec.Nodes!))),
            read.Select(spec => (spec.Name, spec.Compute, spec.Epilogue, spec.Count, spec.OnnxOp, string.Join(",", spec.Nodes!))));
    }
}
