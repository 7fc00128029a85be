using System.Text.Json.Nodes;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>Options given next to a spec file override it and say so; they are never silently dropped.</summary>
public sealed class SpecOverrideTests
{
    private static JsonNode Explain(GensorCli.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Output)!;
    }

    [Fact]
    public void Shape_overrides_the_extents_it_names_and_says_so()
    {
        var result = GensorProcess.Run("explain", Operators.SamplePath("gemm"), "--shape", "m=64", "--format", "json");

        var op = Explain(result);
        var extents = op["axes"]!.AsArray().ToDictionary(a => (string)a!["name"]!, a => (int)a!["extent"]!);
        Assert.Equal(64, extents["m"]);
        Assert.Equal(128, extents["n"]);
        Assert.Contains("note: ", result.Error);
        Assert.Contains("--shape sets m=64 (the spec has m=128)", result.Error);
    }

    [Fact]
    public void Name_overrides_the_spec_name_and_says_so()
    {
        var result = GensorProcess.Run("explain", Operators.SamplePath("gemm"), "--name", "mine", "--format", "json");

        Assert.Equal("mine", (string?)Explain(result)["name"]);
        Assert.Contains("--name 'mine' replaces the spec's name 'gemm'", result.Error);
    }

    [Fact]
    public void Epilogue_overrides_the_spec_epilogue_and_says_so()
    {
        var result = GensorProcess.Run("explain", Operators.SamplePath("gemm"), "--epilogue", "relu(C[m,n])", "--format", "json");

        Assert.Equal("relu(C[m,n])", (string?)Explain(result)["epilogue"]);
        Assert.Contains("--epilogue adds relu(C[m,n])", result.Error);
    }

    [Fact]
    public void Compute_next_to_a_spec_file_is_refused()
    {
        var result = GensorProcess.Run("explain", Operators.SamplePath("gemm"), "--compute", "C[m] = A[m]");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: give either a SPEC file or --compute, not both", result.Error.Trim());
    }

    [Fact]
    public void An_override_that_breaks_the_spec_is_bad_input_with_no_notes()
    {
        var result = GensorProcess.Run("explain", Operators.SamplePath("gemm"), "--shape", "m=0");

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith("error:", result.Error);
    }

    [Theory]
    [InlineData("relu(D[m,n])", "reads D but not the output C")]
    [InlineData("1", "reads no tensor but not the output C")]
    public void An_epilogue_that_does_not_read_the_output_is_refused(string epilogue, string message)
    {
        var result = GensorProcess.Run("tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8", "--epilogue", epilogue, "--device", "cpu");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Explain_help_says_nothing_is_measured()
    {
        var result = GensorProcess.Run("explain", "--help");

        Assert.Contains("Nothing is measured", result.Output);
    }
}
