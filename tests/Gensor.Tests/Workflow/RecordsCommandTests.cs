using Gensor.Etir;
using System.Text.Json.Nodes;
using Gensor.Tests.Support;
using Gensor.Tuning.Records;

namespace Gensor.Tests.Workflow;

/// <summary><c>gensor records best</c> and <c>gensor records merge</c>.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class RecordsCommandTests
{
    private static string Write(TempDirectory dir, string name, params TuningRecord[] records) =>
        dir.File(name, string.Concat(records.Select(r => r.ToJsonLine() + "\n")));

    [Fact]
    public void Best_prints_the_fastest_verified_record_per_operator_and_device()
    {
        using var dir = new TempDirectory();
        var gemm = Records.Gemm();
        var file = Write(dir, "r.jsonl",
            Records.Make(gemm, "block=16x16 thread=2x2 reduce=8", 3.0),
            Records.Make(gemm, "block=32x16 thread=2x2 reduce=8", 1.5),
            Records.Make(gemm, "block=32x32 thread=2x2 reduce=8", null),
            Records.Make(gemm, "block=16x16 thread=1x1 reduce=8", 9.0, device: "cuda: other"));

        var result = GensorCli.Run("records", "best", file, "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var best = JsonNode.Parse(result.Output)!.AsArray();
        Assert.Equal(2, best.Count);
        Assert.Equal(1.5, (double)best.Single(b => (string?)b!["device"] == "cpu: test")!["measured_ms"]!);
    }

    [Fact]
    public void Best_as_text_is_a_table_with_one_row_per_operator_and_device()
    {
        using var dir = new TempDirectory();
        var file = Write(dir, "r.jsonl", Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8", 1.5));

        var result = GensorCli.Run("records", "best", file);

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(" 1.500 ", lines[1]);
    }

    [Fact]
    public void Best_as_text_prints_a_nanosecond_as_what_it_is_not_as_zero()
    {
        // Four fixed decimals printed 1 ns as 0.0000 (found by fuzzing): measured times print with four significant digits.
        using var dir = new TempDirectory();
        var file = Write(dir, "r.jsonl", Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8", 0.000001));

        var result = GensorCli.Run("records", "best", file);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains(" 0.000001000 ", result.Output.Trim().Split('\n')[1]);
    }

    [Fact]
    public void Best_warns_about_a_torn_line_on_stderr_and_still_answers()
    {
        using var dir = new TempDirectory();
        var line = Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8", 1.5).ToJsonLine();
        var file = dir.File("r.jsonl", line + "\n" + line[..20]);

        var result = GensorCli.Run("records", "best", file);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("r.jsonl:2", result.Error);
        Assert.Contains(" 1.500 ", result.Output);
    }

    [Fact]
    public void Merging_a_file_with_itself_adds_no_duplicates()
    {
        using var dir = new TempDirectory();
        var gemm = Records.Gemm();
        var file = Write(dir, "a.jsonl",
            Records.Make(gemm, "block=16x16 thread=2x2 reduce=8", 3.0),
            Records.Make(gemm, "block=32x16 thread=2x2 reduce=8", 1.5));
        var merged = Path.Combine(dir.Path, "m.jsonl");

        var result = GensorCli.Run("records", "merge", file, file, "-o", merged);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(2, File.ReadAllLines(merged).Length);
    }

    [Fact]
    public void Merging_keeps_the_latest_of_a_candidate_recorded_twice()
    {
        var gemm = Records.Gemm();
        var early = Records.Make(gemm, "block=16x16 thread=2x2 reduce=8", 3.0) with { Time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var late = early with { Time = early.Time.AddHours(1), Measurement = early.Measurement with { MedianMs = 2.0 } };

        var merged = RecordSet.Merge([late, early]);

        Assert.Equal(2.0, Assert.Single(merged).MeasuredMs);
    }

    [Fact]
    public void A_kernel_whose_latest_record_failed_is_not_verified_for_best_merge_or_reuse()
    {
        // Found by fuzzing: a kernel re-measured (--force) that failed the second time was still the best
        // verified record for `records best` and `emit --records`, and `merge` dropped the failure.
        using var dir = new TempDirectory();
        var gemm = Records.Gemm();
        var passed = Records.Make(gemm, "block=16x16 thread=2x2 reduce=8", 1.0) with { Time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var failed = Records.Make(gemm, "block=16x16 thread=2x2 reduce=8", null) with { Time = passed.Time.AddHours(1) };
        var other = Records.Make(gemm, "block=32x16 thread=2x2 reduce=8", 2.0) with { Time = passed.Time };
        var file = Write(dir, "r.jsonl", passed, other, failed);
        var merged = Path.Combine(dir.Path, "m.jsonl");

        var best = GensorCli.Run("records", "best", file, "--format", "json");
        var merge = GensorCli.Run("records", "merge", file, "-o", merged);

        Assert.True(best.ExitCode == 0, best.Error);
        Assert.Equal(2.0, (double)Assert.Single(JsonNode.Parse(best.Output)!.AsArray())!["measured_ms"]!);
        Assert.True(merge.ExitCode == 0, merge.Error);
        var kept = new RecordSet(File.ReadAllLines(merged).Select(line => TuningRecord.TryParse(line)!));
        Assert.False(kept.Known(CanonicalForm.Of(gemm), "cpu: test")[Schedule.Parse("block=16x16 thread=2x2 reduce=8")].Measurement.Verified);
        Assert.Equal(2.0, Assert.Single(kept.BestPerOperator()).MeasuredMs);
        // Two records of one time: the later in the file stands.
        Assert.Empty(new RecordSet([passed, failed with { Time = passed.Time }]).BestPerOperator());
    }

    [Fact]
    public async Task Merge_waits_for_a_writer_holding_the_outputs_lock()
    {
        using var dir = new TempDirectory();
        var op = Records.Gemm();
        var input = Write(dir, "in.jsonl", Records.Make(op, "block=16x16 thread=2x2 reduce=8", 1.0));
        var output = Write(dir, "out.jsonl", Records.Make(op, "block=32x32 thread=4x4 reduce=8", 2.0));

        Task<GensorCli.Result> merging;
        using (new RecordWriter(output).Lock())
        {
            // A tune appending to out.jsonl holds this lock for each line: merge must not read and replace the file meanwhile.
            merging = Task.Run(() => GensorCli.Run("records", "merge", input, output, "-o", output));
            await Task.Delay(1500);
            Assert.False(merging.IsCompleted);
        }
        var result = await merging;

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(2, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void Merged_shard_records_give_the_same_best_schedules_as_one_unsharded_run()
    {
        using var dir = new TempDirectory();
        var suite = dir.File("suite.json", """
            [
              {"name": "mm", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 16, "n": 16, "k": 8}},
              {"name": "gemv", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 16, "j": 8}},
              {"name": "rows", "compute": "s[i] += X[i,j]", "shape": {"i": 16, "j": 16}},
              {"name": "mm2", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 8, "n": 16, "k": 8}}
            ]
            """);
        void Batch(string records, params string[] extra)
        {
            // One candidate per operator, so the best schedule is the same whatever the timing noise.
            var result = GensorCli.Run(["batch", suite, "--device", "cpu", "--top-k", "1", "--no-baselines", "--records", Path.Combine(dir.Path, records), .. extra]);
            Assert.True(result.ExitCode == 0, result.Error);
        }
        Batch("s1.jsonl", "--shard", "1/2");
        Batch("s2.jsonl", "--shard", "2/2");
        Batch("whole.jsonl");
        var merged = Path.Combine(dir.Path, "merged.jsonl");
        Assert.Equal(0, GensorCli.Run("records", "merge", Path.Combine(dir.Path, "s1.jsonl"), Path.Combine(dir.Path, "s2.jsonl"), "-o", merged).ExitCode);

        string[] BestSchedules(string file) => JsonNode.Parse(GensorCli.Run("records", "best", file, "--format", "json").Output)!.AsArray()
            .Select(b => $"{b!["op_hash"]} {b["device"]} {b["schedule"]}").Order().ToArray();
        Assert.Equal(BestSchedules(Path.Combine(dir.Path, "whole.jsonl")), BestSchedules(merged));
        Assert.Equal(4, BestSchedules(merged).Length);
    }
}
