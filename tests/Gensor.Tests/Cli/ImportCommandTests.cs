using System.Text.Json.Nodes;
using Gensor.FrontEnd;
using Gensor.Tests.Onnx;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary><c>gensor import</c>: the suite it writes, its report, and bad models.</summary>
public sealed class ImportCommandTests
{
    private static readonly string _squeezeNet = Path.Combine(AppContext.BaseDirectory, "samples", "models", "light_squeezenet.onnx");

    [Fact]
    public void WithOutTheSuiteGoesToTheFileAndTheReportToStdout()
    {
        using var dir = new TempDirectory();
        var suite = Path.Combine(dir.Path, "suite.json");

        var result = GensorCli.Run("import", _squeezeNet, "--out", suite);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(25, SpecReader.ReadFile(suite).Count);
        Assert.Contains("Conv                    26      26", result.Output);
        Assert.Contains($"wrote:     {suite}", result.Output);
    }

    [Fact]
    public void WithoutOutTheSuiteIsTheOutputAndTheReportGoesToStderr()
    {
        var result = GensorCli.Run("import", _squeezeNet);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(25, SpecReader.Read(result.Output, "stdout").Count);
        Assert.StartsWith("model:", result.Error);
    }

    [Fact]
    public void JsonReportListsEntriesNodeTypesAndUnsupportedNodes()
    {
        using var dir = new TempDirectory();

        var result = GensorCli.Run("import", _squeezeNet, "--out", Path.Combine(dir.Path, "s.json"), "--format", "json");

        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal(25, report["entries"]!.AsArray().Count);
        var conv = report["node_types"]!.AsArray().Single(t => (string?)t!["type"] == "Conv")!;
        Assert.Equal(26, (int)conv["roles"]!["kernel"]!);
        Assert.Equal(349_151_936L, (long)conv["iteration_points"]!);
        Assert.Empty(report["unsupported"]!.AsArray());
    }

    [Fact]
    public void BatchSetsTheFirstInputDimension()
    {
        using var dir = new TempDirectory();
        var model = new OnnxModelBuilder().Input("x", "N", 4).Weight("w", [4, 2]).Node("MatMul", ["x", "w"], ["y"]).Output("y").Save(dir.Path);

        var result = GensorCli.Run("import", model, "--batch", "3");

        Assert.Equal(3, Assert.Single(SpecReader.Read(result.Output, "stdout")).Shape["m"]);
    }

    [Theory]
    [InlineData("not-onnx", "not an ONNX model")]
    [InlineData("truncated", "truncated ONNX model")]
    [InlineData("dynamic", "dynamic dimension 'N'")]
    [InlineData("opset", "opset 30 is newer than gensor handles")]
    public void ABadModelIsOneErrorLineExit2AndNothingWritten(string kind, string message)
    {
        using var dir = new TempDirectory();
        var model = Path.Combine(dir.Path, "m.onnx");
        var valid = new OnnxModelBuilder(kind == "opset" ? 30 : 13).Input("x", kind == "dynamic" ? "N" : 2, 4).Weight("w", [4, 2])
            .Node("MatMul", ["x", "w"], ["y"]).Output("y").Bytes();
        File.WriteAllBytes(model, kind switch
        {
            "not-onnx" => "[{\"name\": \"a suite, not a model\"}]"u8.ToArray(),
            "truncated" => valid[..(valid.Length - 20)],
            _ => valid,
        });
        var suite = Path.Combine(dir.Path, "suite.json");

        var result = GensorCli.Run("import", model, "--out", suite);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(suite));
    }

    [Theory]
    // A folder where the suite should go (it read "--out /: tmp is a directory" for /tmp, found by fuzzing), an empty path,
    // a place no file can be made.
    [InlineData("folder", "s.json: is a directory, not a file")]
    [InlineData("empty", "--out: the path is empty")]
    [InlineData("proc", "cannot create files")]
    public void An_out_path_that_cannot_take_the_suite_is_bad_input_before_the_import(string kind, string message)
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "s.json"));
        var path = kind switch { "folder" => Path.Combine(dir.Path, "s.json"), "empty" => "", _ => "/proc/gensor-suite.json" };

        var result = GensorCli.Run("import", _squeezeNet, "--out", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain(".gensor-write-check", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_model_with_no_node_gensor_maps_is_bad_input_not_an_empty_suite()
    {
        using var dir = new TempDirectory();
        var model = new OnnxModelBuilder().Input("x", 2, 4).Node("Erf", ["x"], ["y"]).Output("y").Save(dir.Path);
        var suite = Path.Combine(dir.Path, "suite.json");

        var result = GensorCli.Run("import", model, "--out", suite);

        Assert.Equal(2, result.ExitCode);
        // With the first node's reason: without it the message gave no clue (found by fuzzing).
        Assert.Contains("no node maps to a Gensor operator (1 unsupported; the first, 'erf0' (Erf): no Gensor mapping for Erf)", result.Error);
        Assert.False(File.Exists(suite));
    }

    [Theory]
    [InlineData("--batch", "0", "--batch must be at least 1")]
    [InlineData("--dim", "seq", "--dim 'seq': expected NAME=N")]
    public void ABadShapeOptionIsBadInput(string option, string value, string message)
    {
        var result = GensorCli.Run("import", _squeezeNet, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
    }
}
