using System.Text.Json.Nodes;
using Gensor.Tests.Onnx;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary><c>gensor tune-model</c> end to end on the CPU accelerator, with samples/models/tiny_cnn.onnx.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class TuneModelCommandTests
{
    private static readonly string _tiny = Path.Combine(AppContext.BaseDirectory, "samples", "models", "tiny_cnn.onnx");

    [Fact]
    public void The_suite_is_saved_only_once_the_device_and_records_passed_their_checks()
    {
        // It was written first, so a refused --records or --device left it written, or replaced the records
        // file itself when both named one file (found by fuzzing: 17 records lost).
        using var dir = new TempDirectory();
        var records = dir.File("r.jsonl", Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8", 1.0).ToJsonLine() + "\n");
        var kept = File.ReadAllText(records);
        var suite = Path.Combine(dir.Path, "s.json");

        var same = GensorCli.Run("tune-model", _tiny, "--device", "cpu", "--records", records, "--save-suite", records);
        var notRecords = GensorCli.Run("tune-model", _tiny, "--device", "cpu", "--records", _tiny, "--save-suite", suite);

        Assert.Equal(2, same.ExitCode);
        Assert.Contains("is the --records file", same.Error);
        Assert.Equal(kept, File.ReadAllText(records));
        Assert.Equal(2, notRecords.ExitCode);
        Assert.Single(notRecords.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(suite));
    }

    [Fact]
    public void The_suite_may_not_replace_the_model()
    {
        // import --out refused it; tune-model --save-suite overwrote the model with the suite (found by fuzzing).
        using var dir = new TempDirectory();
        var model = Path.Combine(dir.Path, "m.onnx");
        File.Copy(_tiny, model);

        var result = GensorCli.Run("tune-model", model, "--device", "cpu", "--save-suite", model);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is the model itself", result.Error);
        Assert.Equal(File.ReadAllBytes(_tiny), File.ReadAllBytes(model));
    }

    [Fact]
    public void TheTableGivesEachOperatorsShareAgainstTheBaselines()
    {
        var result = GensorCli.Run("tune-model", _tiny, "--device", "cpu", "--top-k", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Output.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("device:    cpu", StringComparison.Ordinal) && line.Contains("simulated"));
        foreach (var (name, op) in new[] { ("conv", "Conv"), ("pool", "MaxPool"), ("fc", "Gemm") })
        {
            var row = Assert.Single(lines, line => line.Contains($"  {name} ", StringComparison.Ordinal));
            Assert.Contains(op, row);
            Assert.EndsWith("yes", row.TrimEnd());
        }
        Assert.Contains(lines, line => line.StartsWith("model total (sum of count x best): ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("baselines:  naive ", StringComparison.Ordinal) && line.Contains("roller"));
        Assert.Contains("[3/3] fc: ", result.Error);
    }

    [Fact]
    public void JsonSharesAddUpToTheModelTotal()
    {
        var result = GensorCli.Run("tune-model", _tiny, "--device", "cpu", "--top-k", "1", "--no-baselines", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        var operators = report["operators"]!.AsArray();
        Assert.Equal(["Conv", "MaxPool", "Gemm"], operators.Select(o => (string?)o!["onnx_op"]));
        // Each figure is rounded in the report, so their sum may differ from the rounded total by a few units
        // of the last place: compare within a tolerance, not by rounding both (0.9595 against 0.95949999 failed).
        Assert.Equal((double)report["model_total_ms"]!, operators.Sum(o => (double)o!["total_ms"]!), 1e-3);
        Assert.Equal(1.0, operators.Sum(o => (double)o!["share"]!), 1e-3);
        Assert.True((bool)report["simulated"]!);
    }

    [Fact]
    public void EveryRulesOperatorsCompileAndVerify()
    {
        // Grouped conv with folded batch norm and relu, average pooling with per-position divisors, layer norm, matmul, softmax.
        using var dir = new TempDirectory();
        var model = new OnnxModelBuilder(opset: 17).Input("x", 1, 4, 6, 6).Weight("w", [8, 2, 3, 3])
            .Weight("gamma", [8]).Weight("beta", [8]).Weight("mean", [8]).Weight("var", [8], Enumerable.Repeat(0.5f, 8).ToArray())
            .Node("Conv", ["x", "w"], ["c"], ("group", 2L), ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["b"]).Node("Relu", ["b"], ["r"])
            .Node("AveragePool", ["r"], ["p"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 }))
            .Node("Flatten", ["p"], ["f"]).Weight("g", [72]).Node("LayerNormalization", ["f", "g"], ["l"])
            .Weight("w2", [72, 10]).Node("MatMul", ["l", "w2"], ["m"]).Node("Softmax", ["m"], ["y"]).Output("y").Save(dir.Path);

        var result = GensorCli.Run("tune-model", model, "--device", "cpu", "--top-k", "1", "--no-baselines", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var operators = JsonNode.Parse(result.Output)!["operators"]!.AsArray();
        Assert.Equal(["Conv", "AveragePool", "LayerNormalization", "LayerNormalization", "LayerNormalization", "MatMul", "Softmax", "Softmax", "Softmax"],
            operators.Select(o => (string?)o!["onnx_op"]));
        Assert.All(operators, o => Assert.True((bool)o!["verified"]!));
    }

    [Fact]
    public void ABadModelFailsBeforeAnyDeviceIsOpened()
    {
        using var dir = new TempDirectory();

        var result = GensorCli.Run("tune-model", dir.File("m.onnx", "not a model"), "--device", "cpu");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }
}
