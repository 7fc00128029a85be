using System.Text.Json.Nodes;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary><c>gensor tune --records</c>: what the records hold for this device is reused, not measured again.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ResumeTests
{
    private static readonly string[] SmallGemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8", "--device", "cpu", "--top-k", "2", "--format", "json"];

    private static JsonNode Tune(string records, params string[] extra)
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--records", records, .. extra]);
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Output)!;
    }

    [Fact]
    public void Every_measured_candidate_is_appended_to_the_records()
    {
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");

        var report = Tune(records);

        Assert.Equal((int)report["measured"]!, File.ReadAllLines(records).Length);
    }

    [Fact]
    public void A_second_run_measures_nothing_and_gives_the_same_best()
    {
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");
        var first = Tune(records);

        var second = Tune(records);

        Assert.Equal(0, (int)second["measured"]!);
        Assert.Equal((int)first["measured"]!, (int)second["from_records"]!);
        Assert.Equal(first["best"]!["schedule"]!["text"]!.ToString(), second["best"]!["schedule"]!["text"]!.ToString());
        Assert.Equal((double)first["best"]!["measured_ms"]!, (double)second["best"]!["measured_ms"]!);
        // A reused record still says how much of the output its verification compared (all 256 elements here).
        Assert.Equal(256, (int)second["best"]!["checked_elements"]!);
        Assert.All(second["candidates"]!.AsArray(), c => Assert.True((bool)c!["from_records"]!));
        Assert.Equal((int)first["measured"]!, File.ReadAllLines(records).Length);
    }

    [Fact]
    public void An_interrupted_run_measures_only_the_candidates_not_yet_recorded()
    {
        using var dir = new TempDirectory();
        var full = Path.Combine(dir.Path, "full.jsonl");
        Tune(full);
        // A run killed after its first candidate leaves just that line.
        var partial = Path.Combine(dir.Path, "partial.jsonl");
        File.WriteAllLines(partial, File.ReadAllLines(full).Take(1));

        var resumed = Tune(partial);

        Assert.Equal(1, (int)resumed["measured"]!);
        Assert.Equal(1, (int)resumed["from_records"]!);
        Assert.Equal(2, File.ReadAllLines(partial).Length);
    }

    [Fact]
    public void Force_measures_again_what_is_recorded()
    {
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");
        var first = Tune(records);

        var forced = Tune(records, "--force");

        Assert.Equal((int)first["measured"]!, (int)forced["measured"]!);
        Assert.Equal(0, (int)forced["from_records"]!);
    }

    [Fact]
    public void Force_measures_a_kernel_that_two_policies_build_once()
    {
        // One element: the gensor policy's first kernel and the naive baseline's are the same (block=1 thread=1).
        // --force measured it twice, once per policy (found by fuzzing).
        using var dir = new TempDirectory();
        var suite = Path.Combine(dir.Path, "suite.json");
        File.WriteAllText(suite, """[{"name": "one", "compute": "C[m] = A[m] * 2", "shape": {"m": 1}}]""");
        var records = Path.Combine(dir.Path, "r.jsonl");
        JsonNode Batch(params string[] extra)
        {
            var result = GensorCli.Run(["batch", suite, "--device", "cpu", "--format", "json", "--records", records, .. extra]);
            Assert.True(result.ExitCode == 0, result.Error);
            return JsonNode.Parse(result.Output)!;
        }
        var first = Batch();
        Assert.True((int)first["from_records"]! >= 1, "the suite no longer has a kernel two policies share: " + first.ToJsonString());
        var linesBefore = File.ReadAllLines(records).Length;

        var forced = Batch("--force");

        Assert.Equal((int)first["measured"]!, (int)forced["measured"]!);
        Assert.Equal((int)first["from_records"]!, (int)forced["from_records"]!);
        Assert.Equal(2 * linesBefore, File.ReadAllLines(records).Length);
    }

    [Fact]
    public void A_failure_taken_from_the_records_is_not_said_to_be_tried_now()
    {
        // The error read "(1 tried)" though nothing ran: the failure was an earlier run's (found by fuzzing).
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");
        string[] tiny = ["tune", "--compute", "C[m] = A[m] * 2", "--shape", "m=16", "--device", "cpu", "--top-k", "1", "--records", records];
        Assert.Equal(0, GensorCli.Run(tiny).ExitCode);
        var record = JsonNode.Parse(File.ReadAllLines(records).Single())!.AsObject();
        foreach (var field in new[] { "measured_ms", "min_ms", "max_ms", "max_abs_error" })
        {
            record[field] = null;
        }
        record["repetitions"] = 0;
        record["verified"] = false;
        record["error"] = "timed out after 60 s";
        record.Remove("checked_elements");
        File.WriteAllText(records, record.ToJsonString() + "\n");

        var result = GensorCli.Run(tiny);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("error: no candidate of inline compiled and verified (1 tried; it failed in an earlier run, taken from the records: --force measures it again)", result.Error);
    }

    [Fact]
    public void A_records_file_that_cannot_be_written_ends_the_batch_with_one_error()
    {
        // Each operator was measured, then failed with "IOException: No space left on device", and the batch went
        // on with the next, for hours in a large suite (probed on a full tmpfs). A lock file that is a
        // folder fails the same way, without filling a disk.
        using var dir = new TempDirectory();
        var suite = Path.Combine(dir.Path, "suite.json");
        File.WriteAllText(suite, """[{"name": "first", "compute": "C[m] = A[m] * 2", "shape": {"m": 16}}, {"name": "second", "compute": "C[m] = A[m] + 1", "shape": {"m": 16}}]""");
        var records = Path.Combine(dir.Path, "r.jsonl");
        Directory.CreateDirectory(records + ".lock");

        var result = GensorCli.Run(["batch", suite, "--device", "cpu", "--top-k", "1", "--records", records, "--format", "json"]);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Error.Split('\n'), line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {records}: could not append a record: Access to the path", error);
        Assert.DoesNotContain("second", result.Error);
        Assert.DoesNotContain("internal error", result.Error);
        // The summary of what was done comes first, as after Ctrl+C: here nothing, the first append failed.
        var summary = JsonNode.Parse(result.Output)!;
        Assert.Equal(error["error: ".Length..], (string?)summary["stopped_by"]);
        Assert.Equal(1, (int)summary["exit_code"]!);
        Assert.Empty(summary["operators"]!.AsArray());
        Assert.False((bool)summary["model_total_complete"]!);
    }

    [Fact]
    public void Force_without_records_works_and_warns_that_it_did_nothing()
    {
        var result = GensorCli.Run(["tune", .. SmallGemm, "--force"]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("warning: --force has no effect without --records", result.Error);
    }

    [Fact]
    public void Records_of_another_build_are_measured_again_and_named_once()
    {
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");
        var first = Tune(records);
        // The same candidates as another build would have recorded them: its lowering may differ.
        var version = "\"version\":\"" + Gensor.Tuning.Records.TuningRecord.ToolVersion + "\"";
        File.WriteAllLines(records, File.ReadAllLines(records).Select(line => line.Replace(version, "\"version\":\"0.0.9+0123abc\"", StringComparison.Ordinal)));

        var result = GensorCli.Run(["tune", .. SmallGemm, "--records", records]);

        Assert.True(result.ExitCode == 0, result.Error);
        var second = JsonNode.Parse(result.Output)!;
        Assert.Equal((int)first["measured"]!, (int)second["measured"]!);
        Assert.Equal(0, (int)second["from_records"]!);
        Assert.Contains($"{(int)first["measured"]!} records were made by other builds of gensor (0.0.9+0123abc: {(int)first["measured"]!})", result.Error);
        Assert.Single(result.Error.Split('\n'), line => line.Contains("other builds", StringComparison.Ordinal));
        // What this build measured is reused from then on; the other build's records stay in the file.
        var third = Tune(records);
        Assert.Equal(0, (int)third["measured"]!);
        Assert.Equal(2 * (int)first["measured"]!, File.ReadAllLines(records).Length);
    }

    [Fact]
    public void A_renamed_operator_reuses_the_records_of_the_original()
    {
        using var dir = new TempDirectory();
        var records = Path.Combine(dir.Path, "r.jsonl");
        Tune(records);

        var result = GensorCli.Run("tune", "--compute", "Y[i,j] += P[i,q] * Q[q,j]", "--shape", "i=16,j=16,q=8", "--device", "cpu",
            "--top-k", "2", "--format", "json", "--records", records);

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal(0, (int)report["measured"]!);
        // Staged inputs come back under this operator's names.
        Assert.DoesNotContain("T1", report["best"]!["schedule"]!["text"]!.ToString());
    }
}
