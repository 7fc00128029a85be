using System.Text.Json.Nodes;
using Gensor.Diagnostics;
using Gensor.Tests.Support;
using Gensor.Tuning.Records;
using Microsoft.Extensions.Logging;

namespace Gensor.Tests.Workflow;

/// <summary>
/// Records are checked when read (issue 13, items 2, 7 and 12): a line whose
/// figures cannot be true is skipped with one warning that says where and why;
/// a file that is not a records file is never appended to; a held lock says
/// who holds it.
/// </summary>
public sealed class RecordValidationTests : IDisposable
{
    private const string Schedule = "block=16x16 thread=2x2 reduce=8 shared=A,B";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Honest(double ms = 2.0) => Records.Make(Records.Gemm(), Schedule, ms).ToJsonLine();

    private static string Forged(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(Honest())!.AsObject();
        change(json);
        return json.ToJsonString();
    }

    private static string Problem(string line)
    {
        Assert.Null(TuningRecord.TryParse(line, out var problem));
        return problem;
    }

    [Fact]
    public void An_honest_record_is_valid() => Assert.NotNull(TuningRecord.TryParse(Honest(), out _));

    [Fact]
    public void The_readmes_example_record_is_one_the_reader_accepts()
    {
        // The README shows a record wrapped after commas; an audit found its example skipped by the reader
        // (a tolerance above the verifier's ceiling, written before the ceiling was checked).
        var readme = File.ReadAllText(Path.Combine(Repository.Root(), "README.md"));
        var section = readme[readme.IndexOf("\n## Records\n", StringComparison.Ordinal)..];
        var start = section.IndexOf("```\n", StringComparison.Ordinal) + 4;
        var line = section[start..section.IndexOf("\n```", start, StringComparison.Ordinal)].Replace("\n ", "", StringComparison.Ordinal);

        var record = TuningRecord.TryParse(line, out var problem);
        Assert.True(record is not null, problem);
        Assert.True(record.Verified);
    }

    [Fact]
    public void A_record_keeps_the_registers_ptxas_gave_its_kernel_and_an_older_line_reads_without_them()
    {
        var record = Records.Make(Records.Gemm(), Schedule, 2.0) with { Registers = 96 };

        Assert.Equal(96, TuningRecord.TryParse(record.ToJsonLine(), out _)!.Registers);
        Assert.DoesNotContain("registers", Honest());
        Assert.Null(TuningRecord.TryParse(Honest(), out _)!.Registers);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(-4)]
    public void A_register_count_no_GPU_gives_a_thread_is_invalid(int registers) =>
        Assert.Contains("'registers'", Problem(Forged(r => r["registers"] = registers)));

    [Fact]
    public void A_register_count_that_is_not_an_integer_is_invalid() =>
        Assert.Contains("'registers' is not an integer", Problem(Forged(r => r["registers"] = 96.5)));

    [Fact]
    public void A_verified_record_with_an_error_beyond_its_tolerance_is_invalid() =>
        Assert.Contains("exceeds its tolerance", Problem(Forged(r => r["max_abs_error"] = 12345.0)));

    [Fact]
    public void A_verified_record_claiming_a_tolerance_as_large_as_its_forged_error_is_invalid()
    {
        var problem = Problem(Forged(r =>
        {
            r["max_abs_error"] = 12345.0;
            r["tolerance"] = 1e9;
        }));

        // The gemm's 16-term sums of inputs in [-1, 1] give the verifier a tolerance of about 3e-5 at most.
        Assert.Contains("its tolerance 1E+09 exceeds", problem);
        Assert.Contains("the most the verifier states for this operator", problem);
    }

    [Fact]
    public void A_verified_record_whose_operator_text_does_not_rebuild_is_invalid()
    {
        // Not the canonical text of any operator (a space too many), with its own hash so that the hash check passes.
        var op = (string)JsonNode.Parse(Honest())!["op"]! + " ";
        var problem = Problem(Forged(r =>
        {
            r["op"] = op;
            r["op_hash"] = Gensor.Etir.CanonicalForm.HashOf(op);
        }));

        Assert.Contains("does not rebuild", problem);
    }

    [Fact]
    public void A_verified_record_without_a_tolerance_is_invalid_and_will_be_measured_again() =>
        Assert.Contains("measured again", Problem(Forged(r => r.Remove("tolerance"))));

    [Theory]
    [InlineData("measured_ms", -5.0)]
    [InlineData("measured_ms", 0.0)]
    [InlineData("min_ms", -1.0)]
    public void A_time_that_is_not_finite_and_positive_is_invalid(string field, double value) =>
        Problem(Forged(r => r[field] = value));

    [Theory]
    // Found by fuzzing: times that far apart made speedups and calibration's ratios infinite, which JSON cannot hold.
    [InlineData(1e-300)]
    [InlineData(1e300)]
    public void A_time_no_kernel_takes_is_invalid(double ms) =>
        Assert.Contains("not a time from 1E-06 to 1E+09 ms", Problem(Forged(r => { r["measured_ms"] = ms; r["min_ms"] = ms; r["max_ms"] = ms; })));

    [Theory]
    [InlineData("device", "cuda: Evil\u001b[2J\nFAKE LINE")]
    [InlineData("name", "op\u001b]0;title\u0007x")]
    [InlineData("profile", "h100\r")]
    [InlineData("policy", "gensor\u202e")]
    public void A_control_character_in_a_printed_field_is_invalid(string field, string value) =>
        Assert.Contains($"'{field}' holds a control character", Problem(Forged(r => r[field] = value)));

    [Fact]
    public void A_time_beyond_a_double_is_invalid() =>
        Problem(Honest().Replace("\"max_ms\":2", "\"max_ms\":1e400", StringComparison.Ordinal));

    [Fact]
    public void A_failed_record_with_times_is_invalid_and_one_without_is_valid()
    {
        Assert.Contains("not verified, yet it carries times", Problem(Forged(r => { r["verified"] = false; r["error"] = "wrong result"; })));
        Assert.Contains("not verified, yet it carries times", Problem(Records.Make(Records.Gemm(), Schedule, null).ToJsonLine().Replace("\"max_ms\":null", "\"max_ms\":2", StringComparison.Ordinal)));
        Assert.NotNull(TuningRecord.TryParse(Records.Make(Records.Gemm(), Schedule, null).ToJsonLine(), out _));
    }

    [Fact]
    public void A_record_keeps_how_many_output_elements_were_compared_and_an_older_line_reads_without_it()
    {
        var record = Records.Make(Records.Gemm(), Schedule, 2.0);
        var partial = record with { Measurement = record.Measurement with { CheckedElements = 1000 } };

        Assert.Equal(1000, TuningRecord.TryParse(partial.ToJsonLine(), out _)!.Measurement.CheckedElements);
        Assert.DoesNotContain("checked_elements", Honest());
        Assert.Null(TuningRecord.TryParse(Honest(), out _)!.Measurement.CheckedElements);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1025)] // the 32x32 output has 1,024 elements
    public void A_compared_element_count_the_output_cannot_have_is_invalid(int compared) =>
        Assert.Contains("'checked_elements' is " + compared, Problem(Forged(r => r["checked_elements"] = compared)));

    [Fact]
    public void A_failed_record_with_a_compared_element_count_is_invalid() =>
        Assert.Contains("not verified, yet it carries 'checked_elements'",
            Problem(Records.Make(Records.Gemm(), Schedule, null).ToJsonLine().Replace("\"error\":", "\"checked_elements\":5,\"error\":", StringComparison.Ordinal)));

    [Fact]
    public void A_median_outside_its_own_spread_is_invalid() =>
        Assert.Contains("not within its spread", Problem(Forged(r => { r["min_ms"] = 5.0; r["max_ms"] = 6.0; })));

    [Fact]
    public void A_hash_that_is_not_the_hash_of_its_operator_is_invalid() =>
        Assert.Contains("not the hash", Problem(Forged(r => r["op_hash"] = "0000000000000000")));

    [Fact]
    public void A_schedule_that_does_not_fit_the_operator_is_invalid() =>
        Assert.Contains("does not fit", Problem(Forged(r => r["schedule"] = "block=16 thread=2 reduce=8")));

    [Fact]
    public void A_field_of_the_wrong_type_is_invalid()
    {
        Assert.Contains("'verified'", Problem(Forged(r => r["verified"] = "true")));
        Assert.Contains("'measured_ms'", Problem(Forged(r => r["measured_ms"] = "2.0")));
    }

    [Fact]
    public void Each_skipped_line_gets_one_warning_with_its_file_line_and_reason()
    {
        var path = _dir.File("r.jsonl", string.Join("\n", Honest(), Forged(r => r["measured_ms"] = -5.0), Honest(3.0), "{\"op\": \"T0[s0] = ", "") );
        var logger = new ListLogger();

        var records = RecordReader.Read(path, logger);

        Assert.Equal([2.0, 3.0], records.Select(r => r.MeasuredMs!.Value));
        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.StartsWith($"{path}:2: skipped a record: 'measured_ms' is -5", warnings[0]);
        Assert.StartsWith($"{path}:4: skipped a record: not a whole JSON object", warnings[1]);
    }

    [Fact]
    public void A_spec_file_is_not_a_records_file_and_is_not_opened_for_append()
    {
        var spec = _dir.File("spec.json", "{\n  \"name\": \"x\",\n  \"compute\": \"C[m] = A[m]\",\n  \"shape\": {\"m\": 4}\n}\n");

        var message = FrontEnd.BadInput.Thrown(() => RecordLog.Open(spec, new ListLogger()));

        Assert.Contains("not a records file", message);
    }

    [Fact]
    public void A_device_or_a_pipe_is_not_a_records_file()
    {
        // A pipe (<(...)) was read and tuned for, then failed at the first append; /dev/null took a lock file
        // beside it in /dev (probed by hand).
        var fifo = Path.Combine(_dir.Path, "r.fifo");
        ChildProcess.Run(new System.Diagnostics.ProcessStartInfo("mkfifo", [fifo]), TimeSpan.FromSeconds(10));

        Assert.Equal($"--records {fifo}: is a FIFO, not a records file: records are read, then appended to, which needs a regular file",
            FrontEnd.BadInput.Thrown(() => RecordFile.CheckPath(fifo, "--records")));
        Assert.StartsWith("--records /dev/null: is a character device, not a records file",
            FrontEnd.BadInput.Thrown(() => RecordFile.CheckPath("/dev/null", "--records")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("{\"op\":\"T0[s0] = (T1")] // the torn first line of a killed run
    public void An_empty_or_torn_file_is_a_records_file(string text) => Assert.True(RecordFile.IsRecordsText(text));

    [Fact]
    public void A_records_path_in_a_missing_directory_is_bad_input() =>
        Assert.Contains("does not exist", FrontEnd.BadInput.Thrown(() => RecordFile.CheckPath(Path.Combine(_dir.Path, "no", "r.jsonl"), "--records")));

    [Fact]
    public void A_writer_that_cannot_get_the_lock_says_who_holds_it()
    {
        var path = Path.Combine(_dir.Path, "r.jsonl");
        new RecordWriter(path).Append(Records.Make(Records.Gemm(), Schedule, 1.0));
        using var held = new FileStream(path + ".lock", FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var error = Assert.Throws<GensorException>(() => new RecordWriter(path) { LockTimeout = TimeSpan.FromMilliseconds(300) }.Append(Records.Make(Records.Gemm(), Schedule, 2.0)));

        Assert.Contains($"pid {Environment.ProcessId}", error.Message);
        Assert.Contains("not recorded", error.Message);
    }

    [Fact]
    public void A_writer_in_a_missing_directory_fails_at_once_instead_of_waiting_for_a_lock()
    {
        var writer = new RecordWriter(Path.Combine(_dir.Path, "no", "r.jsonl"));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var thrown = Assert.Throws<GensorException>(() => writer.Append(Records.Make(Records.Gemm(), Schedule, 1.0)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.IsType<DirectoryNotFoundException>(thrown.InnerException);
        Assert.Contains("r.jsonl: could not append a record: Could not find a part of the path", thrown.Message);
    }
}
