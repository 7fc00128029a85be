using Gensor.Onnx.Import;
using Onnx;

namespace Gensor.Tests.Onnx;

/// <summary>Every tensor's shape is known at import: from the inputs, initializers and constant subgraphs.</summary>
public class ShapeInferenceTests
{
    private static ImportedModel Import(OnnxModelBuilder model, ImportOptions? options = null) =>
        OnnxImporter.Import(model.Model, options ?? ImportOptions.Default, "test.onnx");

    [Fact]
    public void WeightsMadeByConstantOfShapeGetTheEvaluatedShape()
    {
        var fill = OnnxModelBuilder.FloatTensor("", [1], [0.25f]);
        var model = new OnnxModelBuilder().Input("x", 1, 3, 5, 5).Ints("w_shape", 4, 3, 3, 3)
            .Node("ConstantOfShape", ["w_shape"], ["w"], ("value", fill)).Node("Conv", ["x", "w"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal([4L, 3, 3, 3], imported.Entries[0].Spec.Tensors["W"]);
        Assert.Equal(NodeRole.Constant, imported.Nodes[0].Role);
    }

    [Fact]
    public void AReshapeTargetComputedFromTheInputsShapeIsFolded()
    {
        // PyTorch's x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, then Reshape.
        var model = new OnnxModelBuilder().Input("x", 2, 3, 2, 2).Weight("w", [12, 5]).Ints("zero", 0).Ints("minus_one", -1)
            .Node("Shape", ["x"], ["s"]).Node("Gather", ["s", "zero"], ["n"]).Node("Concat", ["n", "minus_one"], ["target"], ("axis", 0L))
            .Node("Reshape", ["x", "target"], ["flat"]).Node("MatMul", ["flat", "w"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal("O[m,n] += A[m,k] * B[k,n]", Assert.Single(imported.Entries).Spec.Compute);
        Assert.Equal(["Constant", "Constant", "Constant", "Layout", "Kernel"], imported.Nodes.Select(node => node.Role.ToString()));
    }

    [Fact]
    public void InitializersListedAmongTheInputsAreConstantsNotInputs()
    {
        var model = new OnnxModelBuilder(opset: 9, irVersion: 3).Input("x", 1, 2, 4, 4).InputForInitializer("w", 3, 2, 1, 1).Weight("w", [3, 2, 1, 1])
            .Node("Conv", ["x", "w"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal(["x"], imported.Inputs.Select(input => input.Name));
    }

    [Fact]
    public void BatchFixesASymbolicFirstDimension()
    {
        var model = new OnnxModelBuilder().Input("x", "N", 4).Weight("w", [4, 2]).Node("MatMul", ["x", "w"], ["y"]).Output("y");

        var imported = Import(model, new ImportOptions(8, new Dictionary<string, long>()));

        Assert.Equal(8, imported.Entries[0].Spec.Shape["m"]);
    }

    [Fact]
    public void DimFixesASymbolicDimensionByName()
    {
        var model = new OnnxModelBuilder().Input("x", 1, "seq", 4).Weight("w", [4, 2]).Node("MatMul", ["x", "w"], ["y"]).Output("y");

        var imported = Import(model, new ImportOptions(null, new Dictionary<string, long> { ["seq"] = 5 }));

        Assert.Equal([1L, 5, 4], imported.Inputs[0].Shape);
    }

    [Fact]
    public void LayoutNodesMoveDataForTheReferenceRun()
    {
        var model = new OnnxModelBuilder().Input("a", 2, 3).Input("b", 3, 2).Weight("w", [4, 5])
            .Node("Transpose", ["a"], ["t"]).Node("Concat", ["t", "b"], ["c"], ("axis", 1L))
            .Node("Unsqueeze", ["c", "zero"], ["u"]).Ints("zero", 0).Node("Flatten", ["u"], ["f"], ("axis", 2L))
            .Node("MatMul", ["f", "w"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal(4, imported.Nodes.Count(node => node.Role == NodeRole.Layout));
    }

    [Fact]
    public void AStatedShapeKeepsNodesAfterAnUnsupportedOneImportable()
    {
        var model = new OnnxModelBuilder().Input("x", 4, 5).Node("Erf", ["x"], ["e"]).ValueInfo("e", 4, 5)
            .Node("Relu", ["e"], ["y"]).Output("y");

        var imported = Import(model);

        Assert.Equal([NodeRole.Unsupported, NodeRole.Kernel], imported.Nodes.Select(node => node.Role));
    }

    [Fact]
    public void WithoutAStatedShapeTheNodesAfterAnUnsupportedOneAreListedToo()
    {
        var model = new OnnxModelBuilder().Input("x", 4, 5).Node("Erf", ["x"], ["e"]).Node("Relu", ["e"], ["y"]).Output("y");

        var relu = Import(model).Nodes[1];

        Assert.Equal(NodeRole.Unsupported, relu.Role);
        Assert.Contains("shape of input 'e' is not known", relu.Reason);
    }
}
