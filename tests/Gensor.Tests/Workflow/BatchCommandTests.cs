using System.Text.Json.Nodes;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary><c>gensor batch</c> on the CPU accelerator, with tiny operators.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class BatchCommandTests
{
    private const string Suite = """
        [
          {"name": "mm", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 16, "n": 16, "k": 8}, "count": 3},
          {"name": "broken", "compute": "C[m,n] += A[m,k] *", "shape": {"m": 16, "n": 16, "k": 8}},
          {"name": "mm_renamed", "compute": "Y[i,j] += P[i,q] * Q[q,j]", "shape": {"i": 16, "j": 16, "q": 8}, "count": 2},
          {"name": "gemv", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 16, "j": 8}}
        ]
        """;

    private const string GoodSuite = """
        [
          {"name": "mm", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 16, "n": 16, "k": 8}, "count": 3},
          {"name": "gemv", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 16, "j": 8}, "count": 2}
        ]
        """;

    private static (GensorCli.Result Result, JsonNode Summary) Batch(string suite, params string[] extra)
    {
        var result = GensorCli.Run(["batch", suite, "--device", "cpu", "--top-k", "1", "--no-baselines", "--format", "json", .. extra]);
        return (result, JsonNode.Parse(result.Output)!);
    }

    private static JsonNode Operator(JsonNode summary, string name) =>
        summary["operators"]!.AsArray().Single(o => (string?)o!["name"] == name)!;

    [Fact]
    public void A_broken_operator_is_reported_and_the_rest_are_still_tuned()
    {
        using var dir = new TempDirectory();

        var (result, summary) = Batch(dir.File("suite.json", Suite));

        Assert.Equal(2, result.ExitCode);
        Assert.True((bool)Operator(summary, "broken")["bad_input"]!);
        Assert.Contains("column", (string?)Operator(summary, "broken")["error"]);
        Assert.True((bool)Operator(summary, "mm")["verified"]!);
        Assert.True((bool)Operator(summary, "gemv")["verified"]!);
    }

    [Fact]
    public void A_suite_where_every_operator_verifies_exits_0()
    {
        using var dir = new TempDirectory();

        var (result, _) = Batch(dir.File("suite.json", GoodSuite));

        Assert.True(result.ExitCode == 0, result.Error);
    }

    [Fact]
    public void Operators_equal_up_to_names_are_tuned_once_and_both_reported()
    {
        using var dir = new TempDirectory();

        var (_, summary) = Batch(dir.File("suite.json", Suite));

        var renamed = Operator(summary, "mm_renamed");
        Assert.Equal("mm", (string?)renamed["same_as"]);
        Assert.Equal(0, (int)renamed["measured"]!);
        Assert.Equal((double)Operator(summary, "mm")["best_ms"]!, (double)renamed["best_ms"]!);
    }

    [Fact]
    public void The_model_total_is_the_count_weighted_sum_of_best_times()
    {
        using var dir = new TempDirectory();

        var (_, summary) = Batch(dir.File("suite.json", GoodSuite));

        var expected = 3 * (double)Operator(summary, "mm")["best_ms"]! + 2 * (double)Operator(summary, "gemv")["best_ms"]!;
        Assert.Equal(expected, (double)summary["model_total_ms"]!, 5);
        Assert.True((bool)summary["model_total_complete"]!);
    }

    [Fact]
    public void Redirected_progress_is_one_plain_line_per_operator_on_stderr()
    {
        using var dir = new TempDirectory();

        var (result, _) = Batch(dir.File("suite.json", GoodSuite));

        Assert.Contains("[1/2] mm: ", result.Error);
        Assert.Contains(" ms by gensor, ", result.Error);
        Assert.Contains("(verified", result.Error);
        Assert.Contains("[2/2] gemv: ", result.Error);
        Assert.DoesNotContain("\r", result.Error);
    }

    [Fact]
    public void Baselines_give_speedups_over_naive_and_roller()
    {
        using var dir = new TempDirectory();
        var suite = dir.File("suite.json", """[{"name": "gemv", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 16, "j": 8}}]""");

        var result = GensorCli.Run("batch", suite, "--device", "cpu", "--top-k", "1", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var gemv = Operator(JsonNode.Parse(result.Output)!, "gemv");
        Assert.True((double)gemv["speedup_over_naive"]! > 0);
        Assert.True((double)gemv["speedup_over_roller"]! > 0);
    }

    [Fact]
    public void A_resumed_batch_measures_nothing_already_recorded()
    {
        using var dir = new TempDirectory();
        var suite = dir.File("suite.json", GoodSuite);
        var records = Path.Combine(dir.Path, "r.jsonl");
        var (_, first) = Batch(suite, "--records", records);

        var (_, second) = Batch(suite, "--records", records);

        Assert.True((int)first["measured"]! > 0);
        Assert.Equal(0, (int)second["measured"]!);
        Assert.Equal((int)first["measured"]!, (int)second["from_records"]!);
    }

    [Fact]
    public void Text_summary_has_a_row_per_operator_and_the_model_total()
    {
        using var dir = new TempDirectory();

        var result = GensorCli.Run("batch", dir.File("suite.json", GoodSuite), "--device", "cpu", "--top-k", "1", "--no-baselines");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("mm", result.Output);
        Assert.Contains("gemv", result.Output);
        Assert.Contains("model total over the suite, best of all policies (sum of count x best):", result.Output);
    }

    [Fact]
    public void A_suite_that_is_not_json_is_bad_input()
    {
        using var dir = new TempDirectory();

        var result = GensorCli.Run("batch", dir.File("suite.json", "[{"), "--device", "cpu");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error:", result.Error.Trim());
    }
}
