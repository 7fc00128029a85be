using System.Text.Json;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Gensor.Tests.Workflow;
using Gensor.Tuning.Records;

namespace Gensor.Tests.Calibration;

/// <summary>
/// <c>gensor calibrate RECORDS --out PROFILE.json</c> and <c>explain --records</c>, run as a user
/// would, on records whose "measured" times a known variant of the cpu profile's model gave.
/// </summary>
public sealed class CalibrateCommandTests : IDisposable
{
    private const string Compute = "C[m,n] += A[m,k] * B[k,n]";
    private const string Shape = "m=64,n=64,k=64";

    private readonly TempDirectory _dir = new();

    /// <summary>The cpu profile with a slower memory and a costlier barrier: what the records measured.</summary>
    private static readonly HardwareProfile Truth = BuiltInProfiles.Cpu with
    {
        MemoryLatencyNs = BuiltInProfiles.Cpu.MemoryLatencyNs * 3,
        BarrierNs = BuiltInProfiles.Cpu.BarrierNs * 4,
    };

    private string OutPath => Path.Combine(_dir.Path, "calibrated.json");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Writes_a_profile_that_target_accepts_and_reports_the_fit()
    {
        var records = WriteRecords(verifiedFailing: 2);

        var result = GensorCli.Run("calibrate", records, "--out", OutPath);

        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(OutPath));
        Assert.Contains("cpu-calibrated", File.ReadAllText(OutPath));
        Assert.Contains("2 not verified", result.Output);
        var explain = GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", OutPath);
        Assert.Equal(0, explain.ExitCode);
        Assert.Contains("cpu-calibrated", explain.Output);
    }

    [Fact]
    public void Json_output_says_what_was_used_and_what_was_skipped()
    {
        var records = WriteRecords(verifiedFailing: 3);

        var result = GensorCli.Run("calibrate", records, "--out", OutPath, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        var skipped = root.GetProperty("records").GetProperty("skipped").EnumerateArray().ToArray();
        Assert.Contains(skipped, s => s.GetProperty("reason").GetString() == "not verified" && s.GetProperty("count").GetInt32() == 3);
        Assert.Equal("cpu", root.GetProperty("base_profile").GetString());
        var after = root.GetProperty("after").GetProperty("spearman").GetDouble();
        Assert.True(after > 0.9, $"spearman after calibration {after}");
        var first = root.GetProperty("after").GetProperty("geomean_first_choice_over_fastest").GetDouble();
        Assert.True(first >= 1, $"first choice over fastest {first}");
        Assert.All(root.GetProperty("after").GetProperty("operators").EnumerateArray(), o => Assert.True(o.GetProperty("first_choice_over_fastest").GetDouble() >= 1));
    }

    [Fact]
    public void A_kernel_that_measured_slow_but_is_estimated_fast_leads_the_worst_ordered_pairs()
    {
        // The model's first choice measured 5x what the records' model says: no constant makes it slow again.
        var records = WriteRecords(verifiedFailing: 0, firstSlowedBy: 5);
        var slowed = Schedules(Operators.Parse(Compute, Shape))[0].ToString();

        var text = GensorCli.Run("calibrate", records, "--out", OutPath);
        var json = GensorCli.Run("calibrate", records, "--out", OutPath, "--format", "json");

        Assert.Equal(0, text.ExitCode);
        var lines = text.Output.Split('\n');
        var heading = Array.FindIndex(lines, l => l.StartsWith("worst-ordered pairs after the fit", StringComparison.Ordinal));
        Assert.True(heading >= 0, text.Output);
        Assert.Contains($"x slower, estimated ", lines[heading + 1]);
        Assert.Contains($": {slowed} (", lines[heading + 1]);
        Assert.Equal(0, json.ExitCode);
        using var parsed = JsonDocument.Parse(json.Output);
        var worst = parsed.RootElement.GetProperty("after").GetProperty("misordered_pairs").EnumerateArray().First();
        Assert.Equal(slowed, worst.GetProperty("slower").GetProperty("schedule").GetString());
        Assert.True(worst.GetProperty("measured_ratio").GetDouble() > 1);
        Assert.True(worst.GetProperty("estimated_ratio").GetDouble() <= 1);
    }

    [Fact]
    public void Explain_with_records_reports_the_rank_correlation_of_estimate_and_measurement()
    {
        var records = WriteRecords(verifiedFailing: 0);
        Assert.Equal(0, GensorCli.Run("calibrate", records, "--out", OutPath).ExitCode);

        var before = Spearman(GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", "cpu", "--records", records, "--format", "json"));
        var after = Spearman(GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", OutPath, "--records", records, "--format", "json"));

        Assert.True(after >= before, $"spearman {before} before calibration, {after} after");
        Assert.True(after > 0.9, $"spearman after calibration {after}");
    }

    [Fact]
    public void Explain_text_says_only_verified_records_count()
    {
        var records = WriteRecords(verifiedFailing: 1);

        var result = GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", "cpu", "--records", records);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("verified records", result.Output);
        Assert.Contains("spearman", result.Output);
    }

    [Fact]
    public void Records_with_nothing_verified_are_bad_input_and_nothing_is_written()
    {
        var op = Operators.Parse(Compute, Shape);
        var path = _dir.File("failed.jsonl", Records.Make(op, "block=16x16 thread=2x2 reduce=8", null).ToJsonLine() + "\n");

        AssertBadInput(GensorCli.Run("calibrate", path, "--out", OutPath), "no usable records", "not verified");
    }

    [Fact]
    public void A_constant_fitted_to_its_bound_stays_one_a_profile_file_may_hold()
    {
        // clock_mhz alone went from 1500 to 1.5E+6, past the 100,000 a profile file may give, so --target refused it (found by fuzzing).
        var records = WriteRecords(verifiedFailing: 0);

        var result = GensorCli.Run("calibrate", records, "--out", OutPath, "--fit", "clock_mhz");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.InRange(ProfileCatalog.ReadFile(OutPath).ClockMhz, 1, 100_000);
    }

    [Fact]
    public void A_constant_fitted_alone_that_no_estimate_depends_on_is_kept()
    {
        // Seventeen records of three small GEMMs measured on the CPU accelerator (a fuzzing helper's): fitted alone,
        // barrier_ns, which barely moves their estimates, went a thousandfold to the edge of its range for a
        // last-digit gain, the fit's figures unchanged. It must come back unless the fit gains materially.
        var records = Path.Combine(AppContext.BaseDirectory, "Calibration", "Fixtures", "cpu-three-gemms.jsonl");

        var result = GensorCli.Run("calibrate", records, "--out", OutPath, "--fit", "barrier_ns");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(BuiltInProfiles.Cpu.BarrierNs, ProfileCatalog.ReadFile(OutPath).BarrierNs);
        Assert.Contains("kept", result.Output);
    }

    [Fact]
    public void An_out_that_is_a_records_input_is_refused_and_left_as_it_was()
    {
        var records = WriteRecords(verifiedFailing: 0);
        var before = File.ReadAllText(records);

        var result = GensorCli.Run("calibrate", records, "--out", records);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the profile would replace it", result.Error);
        Assert.Equal(before, File.ReadAllText(records));
    }

    [Fact]
    public void A_missing_records_file_is_bad_input() =>
        AssertBadInput(GensorCli.Run("calibrate", Path.Combine(_dir.Path, "none.jsonl"), "--out", OutPath), "no such file");

    [Fact]
    public void An_unknown_constant_to_fit_is_bad_input() =>
        AssertBadInput(GensorCli.Run("calibrate", WriteRecords(0), "--out", OutPath, "--fit", "warp_size"), "warp_size");

    [Theory]
    // The profile calibrate writes must be one --target reads: its name is checked as a spec's is.
    [InlineData("--name", "x\ty", "control character")]
    [InlineData("--name", "", "--name is empty")]
    [InlineData("--fit", "", "--fit names no constant")]
    [InlineData("--fit", "launch_us,launch_us", "'launch_us' twice")]
    public void A_name_or_constants_that_would_make_a_bad_profile_are_bad_input(string option, string value, string words) =>
        AssertBadInput(GensorCli.Run("calibrate", WriteRecords(0), "--out", OutPath, option, value), words);

    [Fact]
    public void A_default_name_past_200_characters_is_bad_input_before_a_profile_is_written()
    {
        // Found by fuzzing: a base profile named with 200 characters gave '<name>-calibrated', which --target then refused.
        var profile = _dir.File("long.json", ProfileCatalog.ToJson(BuiltInProfiles.Cpu with { Name = new string('p', 200) }));

        AssertBadInput(GensorCli.Run("calibrate", WriteRecords(0), "--out", OutPath, "--profile", profile), "211 characters long", "--name");
    }

    [Fact]
    public void A_records_profile_that_names_a_file_is_not_opened()
    {
        // Found by fuzzing: a record's profile field was opened as a path when no built-in profile had its name.
        var op = Operators.Parse(Compute, Shape);
        var file = _dir.File("other.json", ProfileCatalog.ToJson(BuiltInProfiles.Cpu with { Name = "other" }));
        var path = _dir.File("r.jsonl", Records.Make(op, "block=16x16 thread=2x2 reduce=8", 2.0, profile: file).ToJsonLine() + "\n");

        AssertBadInput(GensorCli.Run("calibrate", path, "--out", OutPath), "which is not built in", "--profile");
    }

    [Fact]
    public void An_output_folder_that_does_not_exist_is_bad_input() =>
        AssertBadInput(GensorCli.Run("calibrate", WriteRecords(0), "--out", Path.Combine(_dir.Path, "no", "p.json")), "does not exist");

    [Fact]
    public void A_record_whose_schedule_does_not_fit_its_operator_is_skipped()
    {
        // A forged line: a thread tile of 3 does not divide the block tile of 16.
        var forged = Records.Make(Operators.Parse(Compute, Shape), "block=16x16 thread=3x2 reduce=8", 0.001).ToJsonLine();
        var records = WriteRecords(0);
        File.AppendAllText(records, forged + "\n");

        var result = GensorCli.Run("calibrate", records, "--out", OutPath, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var skipped = json.RootElement.GetProperty("records").GetProperty("skipped").EnumerateArray().ToArray();
        Assert.Contains(skipped, s => s.GetProperty("reason").GetString() == "schedule does not fit its operator" && s.GetProperty("count").GetInt32() == 1);
    }

    [Fact]
    public void Records_of_another_build_are_named_since_its_kernels_may_differ()
    {
        // The model estimates the kernel this build lowers: records of another build may have timed another one.
        var records = WriteRecords(0);
        var same = GensorCli.Run("calibrate", records, "--out", OutPath);
        Assert.Equal(0, same.ExitCode);
        Assert.DoesNotContain("versions:", same.Output);

        var lines = File.ReadAllLines(records).Select(line => TuningRecord.TryParse(line)!).ToArray();
        var older = lines.Select((r, i) => i < 2 ? r with { Version = "0.0.9+0123abc" } : r);
        File.WriteAllLines(records, older.Select(r => r.ToJsonLine()));
        var text = GensorCli.Run("calibrate", records, "--out", OutPath);
        var json = GensorCli.Run("calibrate", records, "--out", OutPath, "--format", "json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"versions:  2 of {lines.Length} used records were measured by another build of gensor (0.0.9+0123abc: 2)", text.Output);
        using var document = JsonDocument.Parse(json.Output);
        var versions = document.RootElement.GetProperty("records").GetProperty("versions").EnumerateArray().ToArray();
        Assert.Equal(2, versions.Length);
        Assert.Contains(versions, v => v.GetProperty("version").GetString() == "0.0.9+0123abc" && v.GetProperty("count").GetInt32() == 2 && !v.GetProperty("this_build").GetBoolean());
        Assert.Contains(versions, v => v.GetProperty("count").GetInt32() == lines.Length - 2 && v.GetProperty("this_build").GetBoolean());
        // explain --records says so too.
        var explain = GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", "cpu", "--records", records);
        Assert.Contains("2 of the records were measured by another build of gensor", explain.Output);
        Assert.DoesNotContain("another build", GensorCli.Run("explain", "--compute", Compute, "--shape", Shape, "--target", "cpu", "--records", WriteRecords(0)).Output);
    }

    [Theory]
    [InlineData("0.1.0+de425c5", "0.1.0+de425c5f00d1", true)]
    [InlineData("0.1.0+de425c5f00d1", "0.1.0+de425c5", true)]
    [InlineData("unknown", "unknown", true)]
    [InlineData("0.1.0+de425c5", "0.1.0+9a97de2", false)]
    [InlineData("0.1.0+de425c5", "0.2.0+de425c5", false)]
    [InlineData("0.1.0", "0.1.0+de425c5", false)]
    public void One_build_is_one_version_and_one_commit_however_short_its_hash(string version, string other, bool same) =>
        Assert.Equal(same, TuningRecord.SameBuild(version, other));

    [Fact]
    public void Records_of_two_devices_need_device()
    {
        var op = Operators.Parse(Compute, Shape);
        var lines = new[]
        {
            Records.Make(op, "block=16x16 thread=2x2 reduce=8", 1.0, device: "cpu: one"),
            Records.Make(op, "block=16x16 thread=2x2 reduce=8", 2.0, device: "cuda: two"),
        };
        var path = _dir.File("two.jsonl", string.Join("\n", lines.Select(l => l.ToJsonLine())) + "\n");

        AssertBadInput(GensorCli.Run("calibrate", path, "--out", OutPath), "--device");
    }

    private void AssertBadInput(GensorCli.Result result, params string[] words)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        foreach (var word in words)
        {
            Assert.Contains(word, lines[0]);
        }
        Assert.False(File.Exists(OutPath));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp-*"));
    }

    /// <summary>The gemm's candidates from two policies, the gensor policy's first choice first.</summary>
    private static Schedule[] Schedules(Operator op) =>
        [.. new ISchedulePolicy[] { new GensorPolicy(), new RollerPolicy() }
            .SelectMany(p => p.Construct(op, BuiltInProfiles.Cpu, new ConstructionOptions(TopK: 10)).Candidates)
            .Select(c => c.Schedule)
            .Distinct()];

    private static double Spearman(GensorCli.Result explain)
    {
        Assert.Equal(0, explain.ExitCode);
        using var json = JsonDocument.Parse(explain.Output);
        var device = json.RootElement.GetProperty("records").GetProperty("devices").EnumerateArray().Single();
        return device.GetProperty("spearman").GetDouble();
    }

    /// <summary>
    /// A records file of the gemm's candidates from two policies, each "measured" as
    /// <see cref="Truth"/>'s model estimates it, plus <paramref name="verifiedFailing"/>
    /// candidates that did not verify (they must not count).
    /// </summary>
    private string WriteRecords(int verifiedFailing, double firstSlowedBy = 1)
    {
        var op = Operators.Parse(Compute, Shape);
        var schedules = Schedules(op);
        var records = schedules.Select((s, i) => Records.Make(op, s.ToString(), CostModel.EstimateMs(op, s, Truth) * (i == 0 ? firstSlowedBy : 1)))
            .Concat(schedules.Take(verifiedFailing).Select(s => Records.Make(op, s.ToString(), null)));
        return _dir.File("records.jsonl", string.Join("\n", records.Select(r => r.ToJsonLine())) + "\n");
    }
}
