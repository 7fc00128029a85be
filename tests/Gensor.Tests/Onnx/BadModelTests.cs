using Gensor.Onnx.Import;
using Gensor.Onnx.Loading;
using Gensor.Tests.FrontEnd;

namespace Gensor.Tests.Onnx;

/// <summary>A file that is not a usable model is bad input: one message that names the file and the problem.</summary>
public class BadModelTests
{
    private static OnnxModelBuilder Valid(int opset = 13) =>
        new OnnxModelBuilder(opset).Input("x", 2, 4).Weight("w", [4, 3]).Node("MatMul", ["x", "w"], ["y"]).Output("y");

    private static string Parse(byte[] bytes) => BadInput.Thrown(() => OnnxModelFile.Parse(bytes, "m.onnx"));

    private static string Import(OnnxModelBuilder model, ImportOptions? options = null) =>
        BadInput.Thrown(() => OnnxImporter.Import(model.Model, options ?? ImportOptions.Default, "m.onnx"));

    [Fact]
    public void ATextFileIsNotAnOnnxModel() =>
        Assert.StartsWith("m.onnx: not an ONNX model", Parse("name: a spec, not a model\n"u8.ToArray()));

    [Fact]
    public void AnEmptyFileIsNotAnOnnxModel() =>
        Assert.Equal("m.onnx: empty file, not an ONNX model", Parse([]));

    [Fact]
    public void ATruncatedModelIsSaidToBeTruncated()
    {
        var bytes = Valid().Bytes();

        Assert.Contains("truncated", Parse(bytes[..(bytes.Length / 2)]));
    }

    [Fact]
    public void AMissingFileIsNamed() =>
        Assert.Equal("no-such.onnx: no such file", BadInput.Thrown(() => OnnxModelFile.Read("no-such.onnx")));

    [Fact]
    public void A_device_without_end_is_not_an_onnx_model_and_is_not_read_to_its_end()
    {
        // /dev/zero was read whole: "internal error: OutOfMemoryException" (probed by hand, like tune /dev/zero,
        // which the spec reader already refused).
        Assert.True(File.Exists("/dev/zero"), "this test needs Linux's /dev/zero");

        Assert.StartsWith("/dev/zero: not an ONNX model (not a protobuf ModelProto: ", BadInput.Thrown(() => OnnxModelFile.Read("/dev/zero")));
    }

    [Fact]
    public async Task A_model_through_a_pipe_is_read()
    {
        // What a shell's <(...) or /dev/stdin gives: a FIFO, read as it is written.
        using var dir = new Gensor.Tests.Support.TempDirectory();
        var fifo = Path.Combine(dir.Path, "model.fifo");
        Gensor.Tests.Support.ChildProcess.Run(new System.Diagnostics.ProcessStartInfo("mkfifo", [fifo]), TimeSpan.FromSeconds(10));
        var bytes = Valid().Bytes();
        var writer = Task.Run(() => File.WriteAllBytes(fifo, bytes));

        var model = OnnxModelFile.Read(fifo);

        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("MatMul", model.Graph.Node.Single().OpType);
    }

    [Fact]
    public void ADynamicDimensionWithoutAValueNamesTheOptionThatGivesIt()
    {
        var model = new OnnxModelBuilder().Input("x", "N", "seq", 4).Weight("w", [4, 3]).Node("MatMul", ["x", "w"], ["y"]).Output("y");

        Assert.Equal("m.onnx: input 'x' has the dynamic dimension 'N' (dimension 1); give it with --batch SIZE or --dim N=SIZE", Import(model));
        Assert.Equal("m.onnx: input 'x' has the dynamic dimension 'seq' (dimension 2); give it with --dim seq=SIZE",
            Import(model, new ImportOptions(2, new Dictionary<string, long>())));
    }

    [Fact]
    public void A_static_extent_below_one_is_named_as_such()
    {
        // It was called an unnamed dynamic dimension to give with a static shape, which it already was (found by fuzzing).
        var model = new OnnxModelBuilder().Input("x", 1, 0, 4).Node("Relu", ["x"], ["y"]).Output("y");

        Assert.Equal("m.onnx: input 'x' has extent 0 in dimension 2; gensor needs extents of at least 1", Import(model));
    }

    [Fact]
    public void An_input_or_output_declared_twice_is_refused()
    {
        // The second input of a name was taken for an initializer and the first's shape won, exit 0, where ONNX Runtime
        // refuses the model (found by fuzzing).
        var inputs = new OnnxModelBuilder().Input("x", 2, 4).Input("x", 3, 4).Node("Relu", ["x"], ["y"]).Output("y");
        var outputs = new OnnxModelBuilder().Input("x", 2, 4).Node("Relu", ["x"], ["y"]).Output("y").Output("y");

        Assert.Equal("m.onnx: the graph declares input 'x' twice", Import(inputs));
        Assert.Equal("m.onnx: the graph declares output 'y' twice", Import(outputs));
    }

    [Fact]
    public void Batch_and_dim_setting_one_dimension_to_two_sizes_are_refused()
    {
        // --batch won in silence (found by fuzzing); the same size twice is no conflict.
        var model = new OnnxModelBuilder().Input("x", "N", 4).Weight("w", [4, 3]).Node("MatMul", ["x", "w"], ["y"]).Output("y");

        Assert.Equal("m.onnx: input 'x': --batch 3 and --dim N=5 both set its dimension 1 ('N'); give one of them",
            Import(model, new ImportOptions(3, new Dictionary<string, long> { ["N"] = 5 })));
        Assert.Equal(3, OnnxImporter.Import(model.Model, new ImportOptions(3, new Dictionary<string, long> { ["N"] = 3 }), "m.onnx").Inputs[0].Shape[0]);
    }

    [Fact]
    public void AnUnknownDimNameIsRejected()
    {
        var message = Import(Valid(), new ImportOptions(null, new Dictionary<string, long> { ["seq"] = 4 }));

        Assert.Equal("m.onnx: --dim seq: no input of the model has a dimension named 'seq'", message);
    }

    [Theory]
    [InlineData(24, "newer")]
    [InlineData(6, "older")]
    public void AnOpsetOutsideWhatIsHandledIsRejected(int opset, string which) =>
        Assert.Equal($"m.onnx: opset {opset} is {which} than gensor handles (7 to 23)", Import(Valid(opset)));

    [Fact]
    public void AGraphThatReadsAValueBeforeItIsProducedIsRejected()
    {
        var model = new OnnxModelBuilder().Input("x", 2, 4).Node("Relu", ["r"], ["y"]).Node("Relu", ["x"], ["r"]).Output("y");

        Assert.Contains("not in topological order", Import(model));
    }

    [Fact]
    public void A_graph_output_that_nothing_produces_is_bad_input()
    {
        // It imported, and the reference run then failed on the missing value (found by fuzzing).
        var model = new OnnxModelBuilder().Input("x", 2, 4).Weight("w", [4, 3]).Node("MatMul", ["x", "w"], ["y"]).Output("y").Output("nonexistent");

        Assert.Equal("m.onnx: graph output 'nonexistent' is not produced by any node, input or initializer", Import(model));
    }

    [Theory]
    [InlineData("too-few")]
    [InlineData("raw")]
    [InlineData("negative")]
    public void An_initializer_whose_values_do_not_fit_its_shape_is_bad_input(string which)
    {
        // Values are decoded when read, so a weight of 12 elements holding 11 imported, and failed in the reference run (found by fuzzing).
        var model = Valid();
        var w = model.Model.Graph.Initializer.Single();
        switch (which)
        {
            case "too-few":
                w.FloatData.RemoveAt(0);
                break;
            case "raw":
                w.FloatData.Clear();
                w.RawData = Google.Protobuf.ByteString.CopyFrom(new byte[7]);
                break;
            default:
                w.Dims[0] = -4;
                break;
        }

        var message = Import(model);

        Assert.StartsWith("m.onnx: initializer 'w' ", message);
        Assert.Contains(which switch { "too-few" => "holds 11 values for 12 elements", "raw" => "7 bytes of raw data for 12 elements", _ => "negative dimension" }, message);
    }
}
