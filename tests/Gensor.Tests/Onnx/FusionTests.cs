using Gensor.Onnx.Import;

namespace Gensor.Tests.Onnx;

/// <summary>
/// Element-wise nodes after a compute node become its epilogue where they act
/// element by element on its output, and operators of their own elsewhere.
/// </summary>
public class FusionTests
{
    private static OnnxModelBuilder Conv(int channels = 3, int filters = 4) =>
        new OnnxModelBuilder().Input("x", 1, channels, 6, 6).Weight("w", [filters, channels, 3, 3]).Weight("b", [filters])
            .Node("Conv", ["x", "w", "b"], ["c"], ("pads", new long[] { 1, 1, 1, 1 }));

    [Fact]
    public void ReluAfterConvIsItsEpilogue()
    {
        var model = Conv().Node("Relu", ["c"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        var entry = Assert.Single(imported.Entries);
        Assert.Equal("relu(O[n,f,y,x] + bias[f])", entry.Spec.Epilogue);
        Assert.Equal(["conv0", "relu1"], entry.Spec.Nodes);
        Assert.Equal(NodeRole.Fused, imported.Nodes.Single(node => node.OpType == "Relu").Role);
    }

    [Fact]
    public void A_long_chain_of_element_wise_nodes_is_split_into_operators_of_bounded_depth()
    {
        // 300 Neg nodes folded into one expression nested past the parser's limit (the whole chain unsupported), and
        // 20,000 overflowed the stack printing it, killing the process (found by fuzzing).
        static OnnxModelBuilder Chain(int length)
        {
            var model = new OnnxModelBuilder().Input("x", 2, 3).Weight("w", [3, 4]).Node("MatMul", ["x", "w"], ["v0"]);
            for (var i = 0; i < length; i++)
            {
                model.Node("Neg", [$"v{i}"], [$"v{i + 1}"]);
            }
            return model.Output($"v{length}");
        }

        var imported = OnnxRuntimeOracle.AssertMatches(Chain(300));
        var huge = OnnxImporter.Import(Chain(20_000).Model, ImportOptions.Default, "test.onnx");

        Assert.Empty(imported.Unsupported);
        Assert.Equal(5, imported.Kernels.Count);
        Assert.Empty(huge.Unsupported);
    }

    [Fact]
    public void BatchNormalizationFoldsToAScaleAndShiftPerChannel()
    {
        var model = Conv().Weight("gamma", [4]).Weight("beta", [4]).Weight("mean", [4]).Weight("var", [4], [0.5f, 1f, 2f, 0.25f])
            .Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], ("epsilon", 1e-3f)).Node("Relu", ["n"], ["y"]).Output("y");

        var entry = Assert.Single(OnnxRuntimeOracle.AssertMatches(model).Entries);

        Assert.Equal("relu((O[n,f,y,x] + bias[f]) * scale[f] + shift[f])", entry.Spec.Epilogue);
    }

    [Fact]
    public void ResidualAddAndReluFoldIntoTheLaterConv()
    {
        var model = Conv().Weight("w2", [4, 4, 1, 1])
            .Node("Conv", ["c", "w2"], ["d"]).Node("Add", ["d", "c"], ["s"]).Node("Relu", ["s"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        // The first conv's output has two readers, so it is stored; the second conv absorbs the add and the relu.
        Assert.Equal(["O[n,f,y,x] + bias[f]", "relu(O[n,f,y,x] + X2[f,y,x])"], imported.Entries.Select(entry => entry.Spec.Epilogue));
    }

    [Fact]
    public void ClipAfterGemmIsAMinOfAMax()
    {
        var model = new OnnxModelBuilder().Input("a", 3, 4).Weight("b", [4, 5]).Weight("lo", [], [0f]).Weight("hi", [], [6f])
            .Node("Gemm", ["a", "b"], ["g"]).Node("Clip", ["g", "lo", "hi"], ["y"]).Output("y");

        Assert.Equal("min(max(O[m,n], 0), 6)", Assert.Single(OnnxRuntimeOracle.AssertMatches(model).Entries).Spec.Epilogue);
    }

    [Fact]
    public void ClipBeforeOpset11TakesItsBoundsFromAttributes()
    {
        var model = new OnnxModelBuilder(opset: 9).Input("a", 3, 4).Weight("b", [4, 5]).Weight("c", [5])
            .Node("Gemm", ["a", "b", "c"], ["g"]).Node("Clip", ["g"], ["y"], ("min", -0.5f), ("max", 0.5f)).Output("y");

        Assert.Equal("min(max(O[m,n] + C[n], -0.5), 0.5)", Assert.Single(OnnxRuntimeOracle.AssertMatches(model).Entries).Spec.Epilogue);
    }

    [Fact]
    public void SumAndMulWithBroadcastOperandsFoldIntoMatMul()
    {
        var model = new OnnxModelBuilder().Input("a", 2, 3, 4).Input("r", 2, 3, 5).Weight("b", [4, 5]).Weight("s", [5])
            .Node("MatMul", ["a", "b"], ["m"]).Node("Sum", ["m", "r", "s"], ["t"]).Node("Mul", ["t", "s"], ["y"]).Output("y");

        var entry = Assert.Single(OnnxRuntimeOracle.AssertMatches(model).Entries);

        Assert.Equal("(O[b,m,n] + X2[b,m,n] + X3[n]) * X3[n]", entry.Spec.Epilogue);
    }

    [Fact]
    public void AValueWithTwoReadersIsNotFoldedInto()
    {
        var model = Conv().Node("Relu", ["c"], ["y"]).Node("Sigmoid", ["c"], ["z"]).Output("y").Output("z");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal(["Conv", "Relu", "Sigmoid"], imported.Entries.Select(entry => entry.OnnxOp));
    }

    [Fact]
    public void AGraphOutputIsNotFoldedInto()
    {
        var model = Conv().Node("Relu", ["c"], ["y"]).Output("c").Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal(["Conv", "Relu"], imported.Entries.Select(entry => entry.OnnxOp));
    }

    [Fact]
    public void AnOperandLargerThanTheOutputMakesAnOperatorOfItsOwn()
    {
        // The add broadcasts the product up to [3, 2, 5]; that is no longer element by element on the product.
        var model = new OnnxModelBuilder().Input("a", 2, 4).Weight("b", [4, 5]).Input("r", 3, 2, 5)
            .Node("MatMul", ["a", "b"], ["m"]).Node("Add", ["m", "r"], ["y"]).Output("y");

        var imported = OnnxRuntimeOracle.AssertMatches(model);

        Assert.Equal("O[i0,i1,i2] = X1[i1,i2] + X2[i0,i1,i2]", imported.Entries[1].Spec.Compute);
    }

    [Fact]
    public void ElementwiseNodesWithoutAComputeNodeAreOperatorsOfTheirOwn()
    {
        var model = new OnnxModelBuilder().Input("a", 4, 6).Input("b", 6)
            .Node("Sub", ["a", "b"], ["d"]).Node("LeakyRelu", ["d"], ["y"], ("alpha", 0.1f)).Output("y");

        var entry = Assert.Single(OnnxRuntimeOracle.AssertMatches(model).Entries);

        Assert.Equal("O[i0,i1] = max(X1[i0,i1] - X2[i1], 0.1 * (X1[i0,i1] - X2[i1]))", entry.Spec.Compute);
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Exp")]
    [InlineData("Abs")]
    [InlineData("Neg")]
    [InlineData("HardSigmoid")]
    [InlineData("HardSwish")]
    [InlineData("Elu")]
    [InlineData("Reciprocal")]
    public void UnaryNodeAfterGemmMatchesOnnxRuntime(string op)
    {
        var model = new OnnxModelBuilder(opset: 14).Input("a", 3, 4).Weight("b", [4, 5]).Node("Gemm", ["a", "b"], ["g"]).Node(op, ["g"], ["y"]).Output("y");

        Assert.Equal(NodeRole.Fused, OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-3).Nodes[1].Role);
    }

    [Fact]
    public void PReluDivMaxAndMeanMatchOnnxRuntime()
    {
        var model = new OnnxModelBuilder().Input("a", 3, 4).Weight("b", [4, 5]).Weight("slope", [5]).Input("d", 3, 5)
            .Node("Gemm", ["a", "b"], ["g"]).Node("PRelu", ["g", "slope"], ["p"]).Node("Max", ["p", "d"], ["q"])
            .Node("Mean", ["q", "d"], ["m"]).Node("Div", ["m", "slope"], ["y"]).Output("y");

        Assert.Single(OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-3).Entries);
    }
}
