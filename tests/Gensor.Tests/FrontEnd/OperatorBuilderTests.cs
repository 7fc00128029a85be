using Gensor.Etir;
using Gensor.FrontEnd;
using Xunit;

namespace Gensor.Tests.FrontEnd;

public class OperatorBuilderTests
{
    private static OperatorSpec Spec(string compute, string shape, string? epilogue = null, Dictionary<string, IReadOnlyList<long>>? tensors = null) =>
        SpecReader.FromInline(compute, shape, "op", epilogue) with { Tensors = tensors ?? [] };

    private static Operator Build(string compute, string shape, string? epilogue = null, Dictionary<string, IReadOnlyList<long>>? tensors = null) =>
        OperatorBuilder.Build(Spec(compute, shape, epilogue, tensors));

    private static string Error(string compute, string shape, string? epilogue = null, Dictionary<string, IReadOnlyList<long>>? tensors = null)
    {
        var message = BadInput.Thrown(() => Build(compute, shape, epilogue, tensors));
        Assert.StartsWith("--compute: ", message);
        return message;
    }

    [Fact]
    public void OutputIndicesAreSpatialAxesAndRightOnlyIndicesAreReduceAxes()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "k=6,m=4,n=5");

        Assert.Equal(
            ValueArray.Of(new Axis("m", 4, AxisKind.Spatial), new Axis("n", 5, AxisKind.Spatial), new Axis("k", 6, AxisKind.Reduce)),
            op.Axes);
        Assert.Equal(Reduction.Sum, op.Reduction);
        Assert.Equal(new Tensor("C", ValueArray.Of(4, 5)), op.Output);
        Assert.Equal(ValueArray.Of(new Tensor("A", ValueArray.Of(4, 6)), new Tensor("B", ValueArray.Of(6, 5))), op.Inputs);
    }

    [Fact]
    public void SpatialAxesFollowOutputOrderNotShapeOrder() =>
        Assert.Equal(["n", "m"], Build("C[n,m] += A[m,k] * B[k,n]", "m=4,n=5,k=6").SpatialAxes.Select(axis => axis.Name));

    [Fact]
    public void ReduceAxesFollowFirstUseInTheBody() =>
        Assert.Equal(["s", "r"], Build("O[y] += I[y+s+r] * W[s,r]", "y=4,r=3,s=2").ReduceAxes.Select(axis => axis.Name));

    [Fact]
    public void InputsFollowFirstReadBodyThenEpilogue() =>
        Assert.Equal(["B", "A", "bias"], Build("C[m,n] += B[k,n] * A[m,k] + B[k,n]", "m=2,n=2,k=2", "C[m,n] + bias[n] + A[m,0]").Inputs.Select(tensor => tensor.Name));

    [Fact]
    public void EpilogueReadOfTheOutputIsNotAnInput()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=3,k=4", "relu(C[m,n] + bias[n])");

        Assert.DoesNotContain(op.Inputs, tensor => tensor.Name == "C");
        Assert.Equal(new Tensor("bias", ValueArray.Of(3)), op.InputNamed("bias"));
        Assert.NotNull(op.Epilogue);
    }

    [Fact]
    public void InferredShapeIsOnePastTheLargestIndexRead() =>
        Assert.Equal(ValueArray.Of(8), Build("O[y] max= I[y*2+r]", "y=4,r=2").InputNamed("I").Shape);

    [Fact]
    public void NegativeReadsArePaddingAndNeedNoStorage() =>
        Assert.Equal(ValueArray.Of(8), Build("O[y] += I[y*2+r-1]", "y=4,r=3").InputNamed("I").Shape);

    [Fact]
    public void GivenTensorShapeOverridesTheInferredOne() =>
        Assert.Equal(ValueArray.Of(6), Build("O[y] += I[y+r-1]", "y=6,r=3", tensors: new() { ["I"] = [6L] }).InputNamed("I").Shape);

    [Fact]
    public void SameTensorReadTwiceIsOneInput() =>
        Assert.Single(Build("C[i] += A[i,j] * A[i,j]", "i=2,j=3").Inputs);

    [Fact]
    public void SumWithoutReduceAxesIsElementwise() =>
        Assert.Equal(0, Build("C[i] += A[i]", "i=4").ReduceRank);

    [Fact]
    public void OutputShapeMayBeGivenWhenItMatches() =>
        Assert.Equal(ValueArray.Of(4), Build("C[i] = A[i]", "i=4", tensors: new() { ["C"] = [4L] }).Output.Shape);

    [Fact]
    public void UnknownDtypeIsRejected()
    {
        var spec = Spec("C[i] = A[i]", "i=4") with { Dtype = "int8" };

        Assert.Equal("--compute: unknown dtype 'int8' (expected f32 (float32), f16 (float16), bf16 (bfloat16))", BadInput.Thrown(() => OperatorBuilder.Build(spec)));
    }

    [Fact]
    public void DtypeIsCaseSensitive()
    {
        var spec = Spec("C[i] = A[i]", "i=4") with { Dtype = "Float32" };

        Assert.Contains("unknown dtype 'Float32'", BadInput.Thrown(() => OperatorBuilder.Build(spec)));
    }

    [Fact]
    public void ExpressionErrorsAreReportedWithSourceAndColumn() =>
        Assert.Equal("--compute: compute: column 8: unknown function 'foo' (known: relu, exp, tanh, sigmoid, sqrt, abs, max, min)", Error("C[i] = foo(A[i])", "i=4"));

    [Fact]
    public void EpilogueErrorsAreReportedWithSourceAndColumn() =>
        Assert.StartsWith("--compute: epilogue: column 1: unknown function 'gelu'", Error("C[i] += A[i,k]", "i=4,k=2", "gelu(C[i])"));

    [Fact]
    public void IndexVariableWithoutExtentIsNamed() =>
        Assert.Equal("--compute: index variable 'k' has no extent in shape", Error("C[m,n] += A[m,k] * B[k,n]", "m=4,n=4"));

    [Fact]
    public void ExtentThatNoIndexUsesIsRejected() =>
        Assert.Equal("--compute: shape gives 'q' but the expression does not use it", Error("C[i] = A[i]", "i=4,q=2"));

    [Fact]
    public void ZeroExtentIsRejected() =>
        Assert.Contains("index variable 'k' has zero or negative extent 0", Error("C[i] += A[i,k]", "i=4,k=0"));

    [Fact]
    public void NegativeExtentIsRejected() =>
        Assert.Contains("index variable 'i' has zero or negative extent -3", Error("C[i] = A[i]", "i=-3"));

    [Fact]
    public void ExtentBeyondIntIsAnOverflow() =>
        Assert.Contains("extents overflow: 'i' = 3000000000", Error("C[i] = A[i]", "i=3000000000"));

    [Fact]
    public void OutputWithTooManyElementsIsAnOverflow() =>
        Assert.Contains("extents overflow: the output 'C'", Error("C[i,j] = A[i] * B[j]", "i=100000,j=100000"));

    [Fact]
    public void InputWithTooManyElementsIsAnOverflow() =>
        Assert.Contains("extents overflow: tensor 'A'", Error("C[i] += A[i,j,k]", "i=2,j=100000,k=100000"));

    [Fact]
    public void IterationSpaceBeyondLongIsAnOverflow() =>
        Assert.Contains("extents overflow: the iteration space", Error("C[i] += A[i,a] * B[b,c] * D[d,e]", "i=2,a=2000000000,b=2000000000,c=2000000000,d=2000000000,e=2000000000"));

    [Fact]
    public void ReduceAxisUnderPlainAssignmentIsRejected() =>
        Assert.Contains("index variable 'k' appears only on the right of '='", Error("C[i] = A[i,k]", "i=4,k=2"));

    [Fact]
    public void BodyReadingTheOutputIsRejected() =>
        Assert.Contains("the body reads the output 'C'", Error("C[i] += C[i] * A[i,k]", "i=4,k=2"));

    [Fact]
    public void EpilogueReadingTheOutputAtOtherIndicesIsRejected() =>
        Assert.Contains("it may only read C[m,n]", Error("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=2", "C[n,m]"));

    [Fact]
    public void EpilogueUsingAReduceAxisIsRejected() =>
        Assert.Contains("'k' is not an output index", Error("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=2", "C[m,n] + bias[k]"));

    [Fact]
    public void GivenShapeWithTheWrongRankIsRejected() =>
        Assert.Equal(
            "--compute: tensor 'I' has shape [1,64,58] but is indexed with 4 indices",
            Error("O[n,c,y,x] += I[n,c,y+r,x+s]", "n=1,c=64,y=56,x=56,r=3,s=3", tensors: new() { ["I"] = [1L, 64L, 58L] }));

    [Fact]
    public void GivenShapeWithAZeroExtentIsRejected() =>
        Assert.Contains("tensor 'A' has a zero or negative extent in shape [0]", Error("C[i] = A[i]", "i=4", tensors: new() { ["A"] = [0L] }));

    [Fact]
    public void TensorReadWithTwoRanksIsRejected() =>
        Assert.Contains("tensor 'A' is read with 2 indices", Error("C[i] += A[i,j] * A[j]", "i=2,j=2"));

    [Fact]
    public void ShapeForAnUnusedTensorIsRejected() =>
        Assert.Contains("tensors gives a shape for 'Z' but the expression does not read it", Error("C[i] = A[i]", "i=4", tensors: new() { ["Z"] = [4L] }));

    [Fact]
    public void OutputShapeContradictingItsExtentsIsRejected() =>
        Assert.Contains("tensor 'C' has shape [5] but the output's extents are [4]", Error("C[i] = A[i]", "i=4", tensors: new() { ["C"] = [5L] }));

    [Fact]
    public void TensorReadOnlyBelowZeroNeedsAGivenShape() =>
        Assert.Contains("read only at negative indices", Error("C[i] = A[i-5]", "i=2"));

    [Fact]
    public void NameUsedAsTensorAndIndexIsRejected() =>
        Assert.Contains("'i' is used both as a tensor and as an index variable", Error("C[i] = i[i]", "i=2"));
}
