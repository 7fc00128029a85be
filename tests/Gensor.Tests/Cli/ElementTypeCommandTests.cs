using System.Text.Json.Nodes;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Cli;

/// <summary><c>--dtype</c>, tensor-core schedules and <c>--allow-tf32</c> through the real binary.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ElementTypeCommandTests
{
    private static readonly string[] SmallGemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=16,k=32", "--device", "cpu"];

    [Fact]
    public void An_f16_tensor_core_kernel_tunes_and_verifies_on_the_cpu_with_its_types_and_tolerance_reported()
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--dtype", "f16", "--schedule", "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k16", "--format", "json"]);

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal("f16", (string?)report["dtypes"]!["C"]);
        Assert.Equal("f16", (string?)report["dtypes"]!["A"]);
        Assert.Contains("2^-11*|x| (f16 output)", (string?)report["tolerance"]);
        Assert.True((bool)report["best"]!["verified"]!);
        Assert.Equal("m16n8k16", (string?)report["best"]!["schedule"]!["mma"]);
    }

    [Fact]
    public void An_unknown_dtype_is_bad_input()
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--dtype", "fp8"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --dtype: unknown type 'fp8' (expected f32 (float32), f16 (float16), bf16 (bfloat16))", result.Error.Trim());
    }

    [Fact]
    public void Tf32_candidates_appear_only_when_allowed()
    {
        string[] explain = ["explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=2048,n=2048,k=2048", "--target", "a100", "--policy", "roller", "--top-k", "3"];

        var plain = GensorCli.Run(explain);
        var allowed = GensorCli.Run([.. explain, "--allow-tf32"]);

        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.DoesNotContain("mma=", plain.Output);
        Assert.Contains("mma=m16n8k8tf32", allowed.Output);
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("emit")]
    [InlineData("tune")]
    public void A_given_tf32_schedule_is_bad_input_without_allow_tf32(string command)
    {
        // TF32 rounds float32 inputs to 10 significand bits: constructed and recorded schedules need the opt-in, and so does a given one.
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");
        string[] where = command switch
        {
            "explain" => ["--target", "h100", "--compiler-check", "off"],
            "emit" => ["--target", "h100", "--compiler-check", "off", "--out", outDir],
            _ => ["--device", "cpu"],
        };
        string[] args = [command, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=16,k=32", .. where,
            "--schedule", "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k8tf32"];

        var refused = GensorCli.Run(args);
        Assert.False(Directory.Exists(outDir));
        var allowed = GensorCli.Run([.. args, "--allow-tf32"]);

        Assert.Equal(2, refused.ExitCode);
        var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --schedule ", line);
        Assert.EndsWith("--allow-tf32 allows it", line);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
    }
}
