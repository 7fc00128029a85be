using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Cli;
using Gensor.Etir;
using Gensor.Tests.Support;
using Gensor.Tuning;
using Gensor.Tuning.Batch;

namespace Gensor.Tests.Workflow;

/// <summary>Batch progress with a time estimate, and the summary of a batch stopped by a signal.</summary>
public sealed class BatchProgressTests
{
    private static BatchResult Done(string name, double ms)
    {
        var op = Records.Gemm();
        var best = new CandidateResult(Schedule.Parse("block=16x16 thread=2x2 reduce=8"), null, new Measurement(true, 0, ms, ms, ms, 3, 0, null));
        var report = new TuneReport(op, "cpu", true, "gensor", "cpu", 1, [best], best, null, new TuneTimings(0, 0, 0));
        return new BatchResult(new BatchEntry(1, name, 1, op, CanonicalForm.Of(op), null), [report], null, null);
    }

    /// <summary>Drives a display through operators that each take <paramref name="seconds"/> on a fake clock.</summary>
    private static string Drive(bool live, int total, int finished, double seconds)
    {
        using var w = new StringWriter();
        var now = TimeSpan.Zero;
        var display = new BatchProgressDisplay(w, live, () => now);
        for (var i = 1; i <= finished; i++)
        {
            display.Started(i, total, $"op{i}", "gensor");
            now += TimeSpan.FromSeconds(seconds / 2);
            display.Started(i, total, $"op{i}", "roller");
            now += TimeSpan.FromSeconds(seconds / 2);
            display.Finished(i, total, Done($"op{i}", 1.5));
        }
        return w.ToString();
    }

    [Fact]
    public void Redirected_progress_is_one_line_per_operator_with_the_time_left()
    {
        var text = Drive(live: false, total: 4, finished: 2, seconds: 30);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("[1/4] op1: 1.500 ms by gensor (verified)  (30s elapsed, about 1m30s left)", lines[0]);
        Assert.Equal("[2/4] op2: 1.500 ms by gensor (verified)  (1m00s elapsed, about 1m00s left)", lines[1]);
        Assert.DoesNotContain("\r", text);
    }

    [Fact]
    public void On_a_terminal_a_live_bar_is_redrawn_and_each_finished_operator_keeps_a_line()
    {
        var text = Drive(live: true, total: 4, finished: 2, seconds: 30);

        Assert.Contains("\r\u001b[2K[1/4] op1: 1.500 ms by gensor (verified)\n", text);
        Assert.Contains("[############............] 2/4 1m00s, about 1m00s left", text);
        Assert.Contains("op2: tuning with roller...", text);
    }

    [Theory]
    [InlineData("xterm-256color", true)]
    [InlineData(null, true)]
    [InlineData("dumb", false)]
    public void A_dumb_terminal_gets_the_plain_lines_not_the_bar(string? term, bool live)
    {
        Assert.Equal(live, BatchProgressDisplay.TakesEscapes(term));
    }

    [Theory]
    [InlineData(42, "42s")]
    [InlineData(185, "3m05s")]
    [InlineData(3720, "1h02m")]
    public void Times_read_as_a_clock(int seconds, string text)
    {
        Assert.Equal(text, BatchProgressDisplay.Clock(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData("SIGINT", 2)]
    [InlineData("SIGTERM", 15)]
    public async Task A_batch_stopped_by_a_signal_prints_the_summary_of_what_it_finished(string name, int signal)
    {
        using var dir = new TempDirectory();
        // Enough operators that the batch is still running when the first one is done.
        var specs = Enumerable.Range(1, 6).Select(i =>
            "{\"name\": \"op" + i + "\", \"compute\": \"C[m,n] += A[m,k] * B[k,n]\", \"shape\": {\"m\": " + 8 * i + ", \"n\": 16, \"k\": 8}}");
        var suite = dir.File("suite.json", "[" + string.Join(",", specs) + "]");
        // With SIGINT's default handling, even when this test run was started in the background (where it is ignored).
        using var process = GensorProcess.Start(["batch", suite, "--device", "cpu", "--top-k", "2", "--format", "json"], defaultSignals: true);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = new System.Text.StringBuilder();
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null && !line.StartsWith("[1/6] op1: "))
        {
            error.AppendLine(line);
        }
        Assert.True(line is not null, "the batch ended before its first operator was reported: " + error);

        Assert.Equal(0, Kill(process.Id, signal));
        Assert.True(process.WaitForExit(60_000), $"gensor did not stop on {name}");
        var rest = await process.StandardError.ReadToEndAsync();

        Assert.Equal(128 + signal, process.ExitCode);
        Assert.Contains("the summary of the ", rest);
        var summary = JsonNode.Parse(await output)!;
        Assert.True((bool)summary["interrupted"]!);
        Assert.Equal(6, (int)summary["planned_operators"]!);
        var operators = summary["operators"]!.AsArray();
        Assert.InRange(operators.Count, 1, 5);
        Assert.Equal("op1", (string?)operators[0]!["name"]);
        Assert.True((bool)operators[0]!["verified"]!);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
