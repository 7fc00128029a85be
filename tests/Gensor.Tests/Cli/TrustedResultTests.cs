using System.Text.Json.Nodes;
using Gensor.Tests.Support;
using Gensor.Tests.Workflow;
using Gensor.Tuning.Records;

namespace Gensor.Tests.Cli;

/// <summary>
/// Results the real program reports can be trusted (issue 13): verification
/// fails on what a correct kernel would not produce and passes ordinary float32
/// rounding; records that cannot be true are not believed; a schedule that
/// overflows the hardware's counts is not emitted.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class TrustedResultTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private GensorProcess.Observed Run(params string[] args) => GensorProcess.Observe(_dir.Path, args);

    // Item 1.
    [Fact]
    public void An_output_that_is_NaN_everywhere_is_not_reported_as_verified()
    {
        var result = Run("tune", "--compute", "C[m] = (A[m]-A[m]) / 0", "--shape", "m=16", "--device", "cpu", "--top-k", "1");

        Assert.Equal(3, result.ExitCode);
        Assert.DoesNotContain("verified:  yes", result.Output);
        Assert.Contains("cannot be verified", result.Output);
    }

    // Item 4.
    [Fact]
    public void Ordinary_float32_rounding_of_a_cancelling_expression_verifies_and_the_bound_is_stated()
    {
        var result = Run("tune", "--compute", "C[m] = A[m]*1000.1 - A[m]*1000", "--shape", "m=64", "--device", "cpu", "--top-k", "1");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("verified:  yes", result.Output);
        Assert.Contains("error bound", result.Output);
    }

    [Fact]
    public void A_result_says_how_many_output_elements_were_compared_when_not_all_were()
    {
        // Found by fuzzing: "verified: yes" said nothing of the elements left unchecked (here the square roots of negative inputs, NaN).
        var partial = Run("tune", "--compute", "C[m] = sqrt(A[m])", "--shape", "m=64", "--device", "cpu", "--top-k", "1");
        var json = Run("tune", "--compute", "C[m] = sqrt(A[m])", "--shape", "m=64", "--device", "cpu", "--top-k", "1", "--format", "json");
        var whole = Run("tune", "--compute", "C[m] = A[m] * 2", "--shape", "m=64", "--device", "cpu", "--top-k", "1", "--format", "json");

        Assert.True(partial.ExitCode == 0, partial.Output + partial.Error);
        Assert.Matches(@"\b\d+ of 64 output elements compared; the others are NaN", partial.Output);
        var compared = (int)System.Text.Json.Nodes.JsonNode.Parse(json.Output)!["best"]!["checked_elements"]!;
        Assert.InRange(compared, 1, 63);
        Assert.Equal(64, (int)System.Text.Json.Nodes.JsonNode.Parse(whole.Output)!["best"]!["checked_elements"]!);
    }

    // Item 2: a record that cannot be true is skipped with a warning, never picked as best.
    [Theory]
    [InlineData("max_abs_error", 12345.0, "exceeds its tolerance")]
    [InlineData("measured_ms", -5.0, "not a time from 1E-06 to 1E+09 ms")]
    [InlineData("measured_ms", 100.0, "not within its spread")]
    public void Records_best_skips_a_record_that_cannot_be_true(string field, double value, string reason)
    {
        var op = Records.Gemm();
        var honest = Records.Make(op, "block=16x16 thread=2x2 reduce=8", 3.0).ToJsonLine();
        var forged = JsonNode.Parse(Records.Make(op, "block=32x16 thread=2x2 reduce=8", 0.5).ToJsonLine())!;
        forged[field] = value;
        var file = _dir.File("r.jsonl", honest + "\n" + forged.ToJsonString() + "\n");

        var result = Run("records", "best", file, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        var best = Assert.Single(JsonNode.Parse(result.Output)!.AsArray());
        Assert.Equal(3.0, (double)best!["measured_ms"]!);
        var warning = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"warning: {file}:2: skipped a record: ", warning);
        Assert.Contains(reason, warning);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void Records_best_skips_a_record_whose_tolerance_is_forged_as_large_as_its_error(string format)
    {
        var op = Records.Gemm();
        var honest = Records.Make(op, "block=16x16 thread=2x2 reduce=8", 3.0).ToJsonLine();
        var forged = JsonNode.Parse(Records.Make(op, "block=32x16 thread=2x2 reduce=8", 0.5).ToJsonLine())!;
        forged["max_abs_error"] = 12345.0;
        forged["tolerance"] = 1e9;
        var file = _dir.File("r.jsonl", honest + "\n" + forged.ToJsonString() + "\n");

        var result = Run("records", "best", file, "--format", format);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("block=16x16", result.Output);
        Assert.DoesNotContain("block=32x16", result.Output);
        var warning = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"warning: {file}:2: skipped a record: verified, but its tolerance 1E+09 exceeds", warning);
    }

    [Theory]
    [InlineData("C[m] = A[m] * 2", "m=16", "f32", "--policy", "gensor")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=16", "bf16", "--policy", "gensor")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=32", "f32", "--schedule", "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k8tf32")]
    public void A_record_tune_wrote_is_read_back_without_a_warning_and_reused(string compute, string shape, string dtype, string option, string value)
    {
        var file = Path.Combine(_dir.Path, "r.jsonl");
        string[] tune = ["tune", "--compute", compute, "--shape", shape, "--dtype", dtype, "--device", "cpu", "--top-k", "1", option, value, "--allow-tf32",
            "--records", file, "--format", "json"];

        var first = Run(tune);
        var best = Run("records", "best", file);
        var again = Run(tune);

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(best.ExitCode == 0 && best.ErrorLines.Length == 0, best.Error);
        Assert.True(again.ExitCode == 0 && again.ErrorLines.Length == 0, again.Error);
        Assert.True((bool)JsonNode.Parse(again.Output)!["best"]!["from_records"]!, again.Output);
    }

    [Theory]
    [InlineData(12345.0, null)]
    [InlineData(12345.0, 1e9)]
    public void Tune_does_not_reuse_a_forged_verified_record(double error, double? tolerance)
    {
        var op = Gensor.Tests.Support.Operators.Parse("C[m] = A[m] * 2", "m=16");
        var record = JsonNode.Parse(Records.Make(op, "block=16 thread=1 reduce=-", 1e-6, device: "cpu: CPUAccelerator").ToJsonLine())!;
        record["max_abs_error"] = error;
        if (tolerance is { } claimed)
        {
            record["tolerance"] = claimed;
        }
        var file = _dir.File("r.jsonl", record.ToJsonString() + "\n");

        var result = Run("tune", "--compute", "C[m] = A[m] * 2", "--shape", "m=16", "--device", "cpu", "--schedule", "block=16 thread=1 reduce=-",
            "--records", file, "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var best = JsonNode.Parse(result.Output)!["best"]!;
        Assert.False((bool)best["from_records"]!);
        Assert.True((double)best["max_abs_error"]! < 1e-3);
        Assert.Contains(result.ErrorLines, line => line.Contains("skipped a record: verified, but its", StringComparison.Ordinal));
    }

    // Item 3.
    [Fact]
    public void A_schedule_whose_threads_per_block_overflow_int_is_bad_input()
    {
        var result = Run("tune", "--compute", "C[m,n] = A[n,m]", "--shape", "m=4,n=4", "--device", "cpu", "--schedule", "block=65536x65536 thread=1x1 reduce=-");

        GensorProcess.AssertBadInput(result, "threads per block");
    }

    [Fact]
    public void Emit_does_not_use_a_recorded_schedule_whose_threads_per_block_overflow_int()
    {
        var op = Gensor.Tests.Support.Operators.Parse("C[m,n] = A[m,n]", "m=16,n=16");
        var file = _dir.File("r.jsonl", Records.Make(op, "block=65536x65536 thread=1x1 reduce=-", 1e-3).ToJsonLine() + "\n");

        var result = Run("emit", "--compute", "C[m,n] = A[n,m]", "--shape", "m=16,n=16", "--target", "h100", "--records", file, "--out", "out");

        Assert.True(result.ExitCode == 0, result.Error);
        var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir.Path, "out", "launch.json")))!;
        Assert.Equal("model", (string?)launch["schedule_origin"]!["source"]);
        Assert.InRange((int)launch["group"]!, 1, 1024);
    }

    // Item 11.
    [Fact]
    public void Tensors_named_like_the_types_a_kernel_uses_tune_and_emit_kernels_that_compile()
    {
        string[] op = ["--compute", "Grid[m] += Group[m,k] * XMath[k] + SharedMemory[m]", "--shape", "m=8,k=4"];

        var tuned = Run(["tune", .. op, "--device", "cpu", "--top-k", "1"]);
        var emitted = Run(["emit", .. op, "--target", "h100", "--out", "out"]);

        Assert.True(tuned.ExitCode == 0, tuned.Output + tuned.Error);
        Assert.Contains("verified:  yes", tuned.Output);
        Assert.True(emitted.ExitCode == 0, emitted.Output + emitted.Error);
        // As a user's project compiles it: against ILGPU alone.
        CSharpProgram.Compile(executable: false, File.ReadAllText(Path.Combine(_dir.Path, "out", "kernel.cs")));
    }

    // Item 13.
    [Fact]
    public void An_expression_of_300_terms_is_tuned()
    {
        var body = string.Join(" + ", Enumerable.Range(0, 300).Select(i => $"A[m]*{i % 7 + 1}"));

        // Roslyn and ILGPU take long over 300 terms on a loaded machine: this checks the result, not the speed.
        var result = GensorProcess.Observe(_dir.Path, ["tune", "--compute", $"C[m] = {body}", "--shape", "m=16", "--device", "cpu", "--top-k", "1"], TimeSpan.FromMinutes(8));

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("verified:  yes", result.Output);
    }

    // Item 13: a target that cannot run the policy's kernel is said so, with the reason, in text and JSON. The naive
    // policy listed its kernel marked illegal; since fuzzing found emit writing such a kernel, no policy offers one.
    [Fact]
    public void Explain_says_the_target_cannot_run_the_policys_kernel_and_why()
    {
        // Naive's one-output-per-thread matrix product needs about 23 registers; this profile allows 16.
        var profile = _dir.File("tight.json", """{"name": "tight", "architecture": "sm_80", "max_registers_per_thread": 16}""");
        // The model's legality is what is asked about, so no ptxas: a compiled count would replace the estimate.
        string[] args = ["explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=256,n=256,k=256", "--target", profile, "--policy", "naive", "--compiler-check", "off"];

        var text = Run(args);
        var json = Run([.. args, "--format", "json"]);

        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("none: no schedule the policy reached is legal on tight (the simplest: about 23 registers per thread exceed the limit of 16)", text.Output);
        var document = JsonNode.Parse(json.Output)!;
        Assert.Empty(document["candidates"]!.AsArray());
        Assert.Contains("about 23 registers per thread exceed the limit of 16", (string)document["no_candidate_because"]!);
    }
}
