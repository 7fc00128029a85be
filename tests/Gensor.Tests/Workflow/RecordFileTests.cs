using Gensor.Tests.Support;
using Gensor.Tuning.Records;
using Microsoft.Extensions.Logging;

namespace Gensor.Tests.Workflow;

/// <summary>Records files: JSON Lines that survive crashes and concurrent writers.</summary>
public sealed class RecordFileTests
{
    private const string Schedule = "block=16x16 thread=2x2 reduce=8 shared=A,B";

    [Fact]
    public void A_record_reads_back_equal_to_what_was_written()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "r.jsonl");
        var record = Records.Make(Records.Gemm(), Schedule, 1.25);

        new RecordWriter(path).Append(record);
        var read = RecordReader.Read(path, new ListLogger()).Single();

        Assert.Equal(record.ToJsonLine(), read.ToJsonLine());
    }

    [Fact]
    public void A_line_has_the_documented_fields()
    {
        var line = System.Text.Json.Nodes.JsonNode.Parse(Records.Make(Records.Gemm(), Schedule, 1.25).ToJsonLine())!;

        foreach (var field in new[] { "op", "op_hash", "device", "profile", "policy", "schedule", "estimated_ms", "measured_ms", "verified", "version", "time" })
        {
            Assert.True(line[field] is not null, field);
        }
        Assert.Equal("block=16x16 thread=2x2 vthread=1x1 reduce=8 shared=T1,T2 vector=1", (string?)line["schedule"]);
        Assert.EndsWith("Z", (string?)line["time"]);
    }

    [Fact]
    public void A_torn_last_line_is_skipped_with_a_warning()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "r.jsonl");
        var whole = Records.Make(Records.Gemm(), Schedule, 1.0).ToJsonLine();
        File.WriteAllText(path, whole + "\n" + whole + "\n" + whole[..(whole.Length / 2)]);
        var logger = new ListLogger();

        var records = RecordReader.Read(path, logger);

        Assert.Equal(2, records.Count);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(":3:", warning.Message);
    }

    [Fact]
    public void An_append_after_a_torn_line_starts_a_new_line_and_stays_whole()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "r.jsonl");
        var whole = Records.Make(Records.Gemm(), Schedule, 1.0).ToJsonLine();
        File.WriteAllText(path, whole + "\n" + whole[..10]);

        new RecordWriter(path).Append(Records.Make(Records.Gemm(), Schedule, 2.0));

        var records = RecordReader.Read(path, new ListLogger());
        Assert.Equal([1.0, 2.0], records.Select(r => r.MeasuredMs!.Value));
    }

    [Fact]
    public async Task Concurrent_writers_append_only_whole_lines()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "r.jsonl");
        var record = Records.Make(Records.Gemm(), Schedule, 1.0);

        // Separate writer instances, as separate processes would have.
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var writer = new RecordWriter(path);
            for (var i = 0; i < 200; i++)
            {
                writer.Append(record);
            }
        })).ToArray();
        await Task.WhenAll(writers);

        var lines = File.ReadAllLines(path);
        Assert.Equal(400, lines.Length);
        Assert.All(lines, line => Assert.NotNull(TuningRecord.TryParse(line)));
    }

    [Fact]
    public void A_missing_records_file_reads_as_empty()
    {
        using var dir = new TempDirectory();

        Assert.Empty(RecordReader.Read(Path.Combine(dir.Path, "none.jsonl"), new ListLogger()));
    }

    [Fact]
    public void Merge_onto_a_symbolic_link_writes_the_linked_file_and_keeps_the_link()
    {
        // The rename replaced the link with a file and left the linked records as they were (found by fuzzing).
        using var dir = new TempDirectory();
        var input = Path.Combine(dir.Path, "new.jsonl");
        new RecordWriter(input).Append(Records.Make(Records.Gemm(), Schedule, 1.25));
        var linked = dir.File("kept.jsonl", "");
        var link = Path.Combine(dir.Path, "link.jsonl");
        File.CreateSymbolicLink(link, linked);

        var merged = GensorCli.Run("records", "merge", input, "-o", link);

        Assert.Equal(0, merged.ExitCode);
        Assert.Equal(linked, new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true)?.FullName);
        Assert.Single(RecordReader.Read(linked, new ListLogger()));
    }
}
