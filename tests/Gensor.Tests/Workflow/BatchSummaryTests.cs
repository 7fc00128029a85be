using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tuning;
using Gensor.Tuning.Batch;

namespace Gensor.Tests.Workflow;

/// <summary>A batch's exit code and totals, from results made by hand.</summary>
public sealed class BatchSummaryTests
{
    private static BatchResult Verified(string name, int count, double ms)
    {
        var op = Records.Gemm();
        var best = new CandidateResult(Schedule.Parse("block=16x16 thread=2x2 reduce=8"), null, new Measurement(true, 0, ms, ms, ms, 3, 0, null));
        var report = new TuneReport(op, "cpu", true, "gensor", "cpu", 1, [best], best, null, new TuneTimings(0, 0, 0));
        return new BatchResult(new BatchEntry(1, name, count, op, CanonicalForm.Of(op), null), report, null, null, null, null);
    }

    private static BatchResult Unverified(string name)
    {
        var op = Records.Gemm();
        return new BatchResult(new BatchEntry(2, name, 1, op, CanonicalForm.Of(op), null), null, null, null, null, "no candidate verified");
    }

    private static BatchResult BadSpec(string name) => new(new BatchEntry(3, name, 1, null, null, "bad"), null, null, null, null, "bad");

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
