using System.Runtime.InteropServices;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tuning;
using Gensor.Tuning.Batch;

namespace Gensor.Tests.Workflow;

/// <summary>A batch's exit code and totals, from results made by hand.</summary>
public sealed class BatchSummaryTests
{
    private static TuneReport Report(string policy, double? ms, int? compared = null)
    {
        var op = Records.Gemm();
        var candidate = new CandidateResult(Schedule.Parse("block=16x16 thread=2x2 reduce=8"), null,
            ms is { } t ? new Measurement(true, 0, t, t, t, 3, 0, null) { CheckedElements = compared } : Measurement.Failed("wrong result"));
        return new TuneReport(op, "cpu", true, policy, "cpu", 1, [candidate], ms is null ? null : candidate, null, new TuneTimings(0, 0, 0));
    }

    private static BatchEntry Entry(string name, int count)
    {
        var op = Records.Gemm();
        return new BatchEntry(1, name, count, op, CanonicalForm.Of(op), null);
    }

    private static BatchResult Verified(string name, int count, double ms) => new(Entry(name, count), [Report("gensor", ms)], null, null);

    private static BatchResult Unverified(string name) => new(Entry(name, 1), [Report("gensor", null)], null, "no candidate verified");

    private static BatchResult BadSpec(string name) => new(new BatchEntry(3, name, 1, null, null, "bad"), [], null, "bad");

    private static string Text(BatchSummary summary)
    {
        using var w = new StringWriter();
        summary.WriteText(w);
        return w.ToString();
    }

    [Fact]
    public void The_best_kernel_is_the_fastest_verified_over_all_policies()
    {
        var result = new BatchResult(Entry("mm", 1), [Report("gensor", 2.0), Report("naive", 9.0), Report("roller", 1.5)], null, null);

        Assert.Equal(1.5, result.BestMs);
        Assert.Equal("roller", result.BestPolicy);
        Assert.Equal(2.0, result.PolicyMs("gensor"));
        Assert.Equal(6.0, result.SpeedupOverNaive);
    }

    [Fact]
    public void The_table_says_which_policy_made_the_best_kernel_and_what_each_policy_reached()
    {
        var summary = new BatchSummary("s", "gensor", "cpu",
            [new BatchResult(Entry("mm", 2), [Report("gensor", 2.0), Report("roller", 1.5), Report("naive", 9.0)], null, null)]);

        var text = Text(summary);

        Assert.Contains("roller", text.Split('\n')[1]);
        Assert.Contains("model total over the suite, best of all policies (sum of count x best): 3.000 ms", text);
        Assert.Contains("each policy alone: gensor 4.000 ms, roller 3.000 ms, naive 18.00 ms", text);
    }

    [Fact]
    public void An_operator_whose_best_kernel_was_compared_on_part_of_its_output_says_so_in_text_and_json()
    {
        // The 32x32 GEMM has 1,024 output elements.
        var summary = new BatchSummary("s", "gensor", "cpu",
            [new BatchResult(Entry("partial", 1), [Report("gensor", 2.0, compared: 1000)], null, null),
             new BatchResult(Entry("whole", 1), [Report("gensor", 2.0, compared: 1024)], null, null),
             new BatchResult(Entry("unknown", 1), [Report("gensor", 2.0)], null, null)]);

        var text = Text(summary);
        var json = summary.ToJson()["operators"]!.AsArray();

        Assert.Contains("partial: verified on 1000 of 1024 output elements; the others are NaN or infinite in the reference", text);
        Assert.DoesNotContain("whole: verified on", text);
        Assert.DoesNotContain("unknown: verified on", text);
        Assert.Equal([1000, 1024, null], json.Select(o => (int?)o!["checked_elements"]));
        Assert.All(json, o => Assert.Equal(1024L, (long)o!["output_elements"]!));
    }

    [Fact]
    public void A_shard_summary_says_which_shard_it_covers()
    {
        var summary = new BatchSummary("s", "gensor", "cpu", [Verified("a", 1, 1)]) { Shard = ShardSpec.Parse("2/3"), SuiteSize = 7, Planned = 1 };

        Assert.Contains("model total over shard 2/3 (1 operator of the suite's 7)", Text(summary));
        Assert.DoesNotContain("incomplete", Text(summary));
        Assert.Equal("2/3", (string?)summary.ToJson()["shard"]);
    }

    [Fact]
    public void An_empty_shard_totals_0_ms_complete()
    {
        var summary = new BatchSummary("s", "gensor", "cpu", []) { Shard = ShardSpec.Parse("3/3"), SuiteSize = 2, Planned = 0 };

        var json = summary.ToJson();
        Assert.Equal(0.0, (double)json["model_total_ms"]!);
        Assert.True((bool)json["model_total_complete"]!);
        Assert.Equal(0.0, (double)json["model_total_naive_ms"]!);
    }

    [Fact]
    public void An_interrupted_summary_says_how_far_it_got()
    {
        var summary = new BatchSummary("s", "gensor", "cpu", [Verified("a", 1, 1)]) { SuiteSize = 4, Planned = 4, InterruptedBy = PosixSignal.SIGINT };

        Assert.Contains("interrupted: 1 operator of 4 done", Text(summary));
        Assert.False(summary.ModelTotalComplete);
    }

    [Fact]
    public void A_summary_stopped_by_an_error_says_how_far_it_got_and_exits_1()
    {
        // A records file that could not be written ends the batch: what was done is summarized, not lost.
        var summary = new BatchSummary("s", "gensor", "cpu", [Verified("a", 2, 1.5)]) { SuiteSize = 4, Planned = 4, StoppedBy = "r.jsonl: could not append a record: No space left on device" };

        var text = Text(summary);
        Assert.Contains("stopped by an error: 1 operator of 4 done; the totals cover those only", text);
        Assert.Contains("model total over the suite, stopped by an error after 1 of 4 operators, best of all policies (sum of count x best): 3.000 ms", text);
        Assert.False(summary.ModelTotalComplete);
        Assert.Equal(1, summary.ExitCode);
        var json = summary.ToJson();
        Assert.Equal("r.jsonl: could not append a record: No space left on device", (string?)json["stopped_by"]);
        Assert.False((bool)json["interrupted"]!);
        Assert.Equal(1, (int)json["exit_code"]!);

        // tune-model's report of the same run names what was not tuned.
        var specs = new[] { "a", "b" }
            .Select(name => Gensor.FrontEnd.SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=16", name, null))
            .ToArray();
        var report = new EndToEndReport("m.onnx", summary, specs, []);
        using var w = new StringWriter();
        report.WriteText(w);
        Assert.Contains("stopped by an error: 1 of 2 operators tuned; not tuned: b", w.ToString());
        Assert.Contains("(incomplete: stopped by an error before every operator was tuned)", w.ToString());
        Assert.Equal("r.jsonl: could not append a record: No space left on device", (string?)report.ToJson()["stopped_by"]);
    }

    [Theory]
    [InlineData(PosixSignal.SIGINT, 130)]
    [InlineData(PosixSignal.SIGTERM, 143)]
    public void An_interrupted_summary_gives_the_exit_code_the_signal_ends_the_process_with(PosixSignal signal, int exitCode)
    {
        // Every operator done so far verified: without the signal this would be 0.
        var summary = new BatchSummary("s", "gensor", "cpu", [Verified("a", 1, 1)]) { SuiteSize = 4, Planned = 4, InterruptedBy = signal };

        Assert.Equal(exitCode, summary.ExitCode);
        Assert.Equal(exitCode, (int)summary.ToJson()["exit_code"]!);
        Assert.True((bool)summary.ToJson()["interrupted"]!);
    }

    [Fact]
    public void A_policys_total_that_leaves_out_an_operator_says_so_and_gives_no_speedup()
    {
        // The naive kernel of a convolution timed out: its total of the rest read 15x faster than the best of all,
        // and tune-model printed "naive 5.0 ms (0.21x)" (found by fuzzing).
        var summary = new BatchSummary("m.onnx", "gensor", "cpu",
        [
            new BatchResult(Entry("conv", 1), [Report("gensor", 60.0), Report("naive", null)], null, null),
            new BatchResult(Entry("fc", 1), [Report("gensor", 2.0), Report("naive", 4.0)], null, null),
        ]);
        var specs = new[] { "conv", "fc" }
            .Select(name => Gensor.FrontEnd.SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=16", name, null))
            .ToArray();
        var report = new EndToEndReport("m.onnx", summary, specs, []);

        Assert.Equal(1, summary.PolicyMissing("naive"));
        Assert.Equal(0, summary.PolicyMissing("gensor"));
        Assert.Contains("each policy alone: gensor 62.00 ms, naive 4.000 ms (no result for 1 operator)", Text(summary));
        Assert.Equal(1, (int)summary.ToJson()["policy_operators_without_result"]!["naive"]!);
        using var w = new StringWriter();
        report.WriteText(w);
        // Roller never ran: no result, not "- ms (no result for 2 operators)".
        Assert.Contains("baselines:  naive 4.0000 ms (no result for 1 operator), roller no result\n", w.ToString().ReplaceLineEndings("\n"));
        Assert.Equal(1, (int)report.ToJson()["baseline_operators_without_result"]!["naive"]!);
    }

    [Fact]
    public void A_model_with_untimed_nodes_has_an_incomplete_total_even_when_every_operator_verified()
    {
        var summary = new BatchSummary("m.onnx", "gensor", "cpu", [Verified("a", 1, 1)]);
        var specs = new[] { Gensor.FrontEnd.SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=16", "a", null) };
        var complete = new EndToEndReport("m.onnx", summary, specs, []);
        var untimed = new EndToEndReport("m.onnx", summary, specs, [("Erf", 1)]);

        Assert.True((bool)complete.ToJson()["model_total_complete"]!);
        Assert.False((bool)untimed.ToJson()["model_total_complete"]!);
        using var w = new StringWriter();
        untimed.WriteText(w);
        Assert.Contains("(incomplete: unsupported nodes are not timed)", w.ToString());
    }

    [Fact]
    public void An_interrupted_model_table_counts_the_whole_model_and_names_what_was_not_tuned()
    {
        // Three operators planned, a signal after the first (found by fuzzing: "(1 operators)" and no word of the rest).
        var summary = new BatchSummary("m.onnx", "gensor", "cpu", [Verified("a", 2, 1)]) { SuiteSize = 3, Planned = 3, InterruptedBy = PosixSignal.SIGTERM };
        var specs = new[] { "a", "b", "c" }
            .Select(name => Gensor.FrontEnd.SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=16", name, null))
            .ToArray();
        var report = new EndToEndReport("m.onnx", summary, specs, []);

        using var w = new StringWriter();
        report.WriteText(w);
        Assert.Contains("m.onnx (3 operators, 3 with counts)", w.ToString());
        Assert.Contains("terminated: 1 of 3 operators tuned; not tuned: b, c", w.ToString());
        Assert.Contains("(incomplete: interrupted before every operator was tuned)", w.ToString());
        var json = report.ToJson();
        Assert.True((bool)json["interrupted"]!);
        Assert.Equal(3, (int)json["planned_operators"]!);
        Assert.Equal(["b", "c"], json["not_tuned"]!.AsArray().Select(n => (string)n!));
        Assert.False((bool)json["model_total_complete"]!);
        Assert.Equal(143, (int)json["exit_code"]!);
    }

    [Fact]
    public void All_verified_exits_0()
    {
        Assert.Equal(0, new BatchSummary("s", "gensor", "cpu", [Verified("a", 1, 1)]).ExitCode);
    }

    [Fact]
    public void An_operator_without_a_verified_result_exits_3()
    {
        Assert.Equal(3, new BatchSummary("s", "gensor", "cpu", [Verified("a", 1, 1), Unverified("b")]).ExitCode);
    }

    [Fact]
    public void A_bad_spec_exits_2_even_when_another_operator_did_not_verify()
    {
        Assert.Equal(2, new BatchSummary("s", "gensor", "cpu", [Unverified("b"), BadSpec("c")]).ExitCode);
    }

    [Fact]
    public void The_model_total_weights_each_best_time_by_its_count_and_says_when_it_is_incomplete()
    {
        var summary = new BatchSummary("s", "gensor", "cpu", [Verified("a", 3, 2.0), Verified("b", 2, 0.5), Unverified("c")]);

        Assert.Equal(7.0, summary.ModelTotalMs);
        Assert.False(summary.ModelTotalComplete);
    }
}
