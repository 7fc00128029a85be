using Gensor.FrontEnd;
using Xunit;

namespace Gensor.Tests.FrontEnd;

public class SpecReaderTests
{
    private const string _gemm = """{ "name": "gemm", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": { "m": 4, "n": 5, "k": 6 } }""";

    private static string ReadError(string contents)
    {
        using var file = new TempFile(contents);
        var message = BadInput.Thrown(() => SpecReader.ReadFile(file.Path));
        Assert.StartsWith(file.Path + ": ", message);
        return message;
    }

    [Fact]
    public void OneObjectIsOneOperatorWithDefaults()
    {
        using var file = new TempFile(_gemm);

        var spec = Assert.Single(SpecReader.ReadFile(file.Path));

        Assert.Equal("gemm", spec.Name);
        Assert.Equal("C[m,n] += A[m,k] * B[k,n]", spec.Compute);
        Assert.Equal(new Dictionary<string, long> { ["m"] = 4, ["n"] = 5, ["k"] = 6 }, spec.Shape);
        Assert.Empty(spec.Tensors);
        Assert.Equal("f32", spec.Dtype);
        Assert.Null(spec.Epilogue);
        Assert.Equal(1, spec.Count);
        Assert.Equal(file.Path, spec.Source);
    }

    [Fact]
    public void ArrayIsASuiteInFileOrder()
    {
        using var file = new TempFile($"[{_gemm}, {_gemm.Replace("\"gemm\"", "\"second\"")}]");

        var specs = SpecReader.ReadFile(file.Path);

        Assert.Equal(["gemm", "second"], specs.Select(spec => spec.Name));
    }

    [Fact]
    public void OptionalFieldsAreRead()
    {
        using var file = new TempFile("""
            { "name": "conv", "compute": "O[y] += I[y+r-1] * W[r]", "shape": { "y": 8, "r": 3 },
              "tensors": { "I": [8] }, "dtype": "float32", "epilogue": "relu(O[y])", "count": 3 }
            """);

        var spec = Assert.Single(SpecReader.ReadFile(file.Path));

        Assert.Equal([8L], spec.Tensors["I"]);
        Assert.Equal("relu(O[y])", spec.Epilogue);
        Assert.Equal(3, spec.Count);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gensor-missing-{Guid.NewGuid():N}.json");

        Assert.Equal($"{path}: no such file", BadInput.Thrown(() => SpecReader.ReadFile(path)));
    }

    [Fact]
    public void EmptyFileIsRejected() =>
        Assert.Contains("empty file", ReadError("  \n"));

    [Fact]
    public void NonJsonFileIsRejectedWithTheParsersMessage() =>
        Assert.Contains(": not valid JSON: ", ReadError("name: gemm"));

    [Fact]
    public void TopLevelScalarIsRejected() =>
        Assert.Contains("expected a JSON object (one operator) or an array of them", ReadError("42"));

    [Fact]
    public void EmptyArrayIsRejected() =>
        Assert.Contains("empty array", ReadError("[]"));

    [Fact]
    public void ArrayElementThatIsNotAnObjectIsRejected() =>
        Assert.Contains("operator 2 is the string \"x\", not a JSON object", ReadError($"[{_gemm}, \"x\"]"));

    [Fact]
    public void UnknownFieldIsNamedWithTheExpectedOnes() =>
        Assert.EndsWith(
            ": unknown field 'shapes' in operator 1 (expected name, compute, shape, tensors, dtype, dtypes, epilogue, count, onnx_op, nodes)",
            ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shapes": { "i": 4 } }"""));

    [Theory]
    [InlineData("name")]
    [InlineData("compute")]
    [InlineData("shape")]
    public void MissingRequiredFieldIsNamed(string field)
    {
        var json = new Dictionary<string, string>
        {
            ["name"] = "\"name\": \"g\"",
            ["compute"] = "\"compute\": \"C[i] = A[i]\"",
            ["shape"] = "\"shape\": { \"i\": 4 }",
        };
        json.Remove(field);

        Assert.Contains($"operator 1: missing required field '{field}'", ReadError($"{{ {string.Join(", ", json.Values)} }}"));
    }

    [Fact]
    public void NonStringComputeIsRejected() =>
        Assert.Contains("field 'compute' must be a string but is the number 3", ReadError("""{ "name": "g", "compute": 3, "shape": { "i": 4 } }"""));

    [Fact]
    public void NonObjectShapeIsRejected() =>
        Assert.Contains("field 'shape' must be an object", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": [4] }"""));

    [Fact]
    public void FractionalExtentIsRejected() =>
        Assert.Contains("shape 'i' must be an integer but is the number 4.5", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 4.5 } }"""));

    [Fact]
    public void ACountPast32BitsIsTooLarge() =>
        Assert.Contains("field 'count' is the number 2147483648, too large", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 4 }, "count": 2147483648 }"""));

    [Fact]
    public void AnExtentPast64BitsIsTooLargeNotAFraction() =>
        Assert.Contains("shape 'i' is the number 99999999999999999999, too large", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 99999999999999999999 } }"""));

    [Fact]
    public void NonArrayTensorShapeIsRejected() =>
        Assert.Contains("tensors 'A' must be an array", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 4 }, "tensors": { "A": 4 } }"""));

    [Fact]
    public void NonPositiveCountIsRejected() =>
        Assert.Contains("field 'count' must be a positive integer", ReadError("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 4 }, "count": 0 }"""));

    [Fact]
    public void DuplicateFieldIsRejected() =>
        Assert.Contains("field 'name' is given twice", ReadError("""{ "name": "g", "name": "h", "compute": "C[i] = A[i]", "shape": { "i": 4 } }"""));

    [Fact]
    public void InlineShapeTextGivesExtents()
    {
        var spec = SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=128, n=64,k=32", null, "relu(C[m,n])");

        Assert.Equal(new Dictionary<string, long> { ["m"] = 128, ["n"] = 64, ["k"] = 32 }, spec.Shape);
        Assert.Equal("--compute", spec.Source);
        Assert.Equal("relu(C[m,n])", spec.Epilogue);
        Assert.Equal("f32", spec.Dtype);
    }

    [Fact]
    public void InlineNameIsKept() =>
        Assert.Equal("mine", SpecReader.FromInline("C[i] = A[i]", "i=4", "mine", null).Name);

    [Fact]
    public void InlineExtentThatIsNotANumberNamesShapeOption() =>
        Assert.Equal("--shape: extent of 'm' is not an integer: 'abc'", BadInput.Thrown(() => SpecReader.FromInline("C[m] = A[m]", "m=abc", null, null)));

    [Fact]
    public void InlineEntryWithoutExtentNamesShapeOption() =>
        Assert.Equal("--shape: expected NAME=EXTENT but found 'm'", BadInput.Thrown(() => SpecReader.FromInline("C[m] = A[m]", "m", null, null)));

    [Fact]
    public void InlineEmptyShapeNamesShapeOption() =>
        Assert.StartsWith("--shape: empty", BadInput.Thrown(() => SpecReader.FromInline("C[m] = A[m]", "", null, null)));

    [Fact]
    public void InlineRepeatedAxisNamesShapeOption() =>
        Assert.Equal("--shape: 'm' is given twice", BadInput.Thrown(() => SpecReader.FromInline("C[m] = A[m]", "m=2,m=3", null, null)));
    [Fact]
    public void ImportProvenanceFieldsAreReadAndNotRequired()
    {
        using var file = new TempFile("""
            [{ "name": "conv", "compute": "O[y] += I[y+r] * W[r]", "shape": { "y": 8, "r": 3 }, "count": 2, "onnx_op": "Conv", "nodes": ["n0", "n1"] }]
            """);

        var spec = Assert.Single(SpecReader.ReadFile(file.Path));

        Assert.Equal("Conv", spec.OnnxOp);
        Assert.Equal(["n0", "n1"], spec.Nodes);
    }

    [Fact]
    public void NodesThatAreNotStringsAreRejected() =>
        Assert.Contains("field 'nodes' must be an array of node names", ReadError("""{ "name": "c", "compute": "O[y] = I[y]", "shape": { "y": 2 }, "nodes": [1] }"""));

    [Fact]
    public void AnOnnxOpThatIsNotAStringIsRejected() =>
        Assert.Contains("field 'onnx_op' must be a string", ReadError("""{ "name": "c", "compute": "O[y] = I[y]", "shape": { "y": 2 }, "onnx_op": 3 }"""));
}
