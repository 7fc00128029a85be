using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tuning.Reports;

namespace Gensor.Tuning.Records;

/// <summary>
/// One measured candidate as a line of a records file. The operator is kept in
/// its <see cref="CanonicalForm"/> and the schedule with canonical tensor names,
/// so a record is valid for every operator that differs only in names.
/// </summary>
/// <param name="Op">The operator's canonical text.</param>
/// <param name="OpHash">The canonical text's hash: the key records are looked up by.</param>
/// <param name="Name">The operator's name when it was tuned (for people; never a key).</param>
/// <param name="Device">The device that ran the kernel, as <see cref="Backend.Runtime.KernelDevice.Description"/>.</param>
/// <param name="Profile">The profile the candidate was constructed for.</param>
/// <param name="Policy">The policy that constructed it (<c>fixed</c> for <c>--schedule</c>).</param>
/// <param name="Schedule">The schedule, staged inputs named canonically (<c>T1, T2, ...</c>).</param>
/// <param name="EstimatedMs">The cost model's estimate, when constructed.</param>
/// <param name="Measurement">What running it gave.</param>
/// <param name="Version">The tool's informational version.</param>
/// <param name="Time">When it was measured (UTC).</param>
public sealed record TuningRecord(
    string Op,
    string OpHash,
    string Name,
    string Device,
    string Profile,
    string Policy,
    Schedule Schedule,
    double? EstimatedMs,
    Measurement Measurement,
    string Version,
    DateTimeOffset Time)
{
    // Records are read by people too: keep '+' and '<' as they are rather than \u escapes (a record is never embedded in HTML).
    private static readonly JsonSerializerOptions _lineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The running tool's version, as records carry it.</summary>
    public static string ToolVersion { get; } =
        typeof(TuningRecord).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// Whether two informational versions name one build: the same version and the same commit, one
    /// hash a prefix of the other (the GPU kit's builds write a short one).
    /// </summary>
    public static bool SameBuild(string version, string other)
    {
        if (version == other)
        {
            return true;
        }
        var (release, commit) = Split(version);
        var (otherRelease, otherCommit) = Split(other);
        return release == otherRelease && commit.Length > 0 && otherCommit.Length > 0
            && (commit.StartsWith(otherCommit, StringComparison.Ordinal) || otherCommit.StartsWith(commit, StringComparison.Ordinal));

        static (string Release, string Commit) Split(string text) =>
            text.IndexOf('+') is var plus and >= 0 ? (text[..plus], text[(plus + 1)..]) : (text, "");
    }

    public bool Verified => Measurement.Verified;

    /// <summary>Whether the running build made this record (<see cref="SameBuild"/>): only then is its kernel the one this build lowers.</summary>
    public bool ByThisBuild => SameBuild(Version, ToolVersion);

    public double? MeasuredMs => Measurement.MedianMs;

    /// <summary>
    /// Registers per thread of the kernel timed, as ptxas gave them for the profile's architecture when
    /// the construction's compiler check compiled it; null when it did not (no NVIDIA profile, no
    /// tools, or a candidate past the ones it compiles). Calibration estimates such a record with them
    /// instead of the model's register estimate, so that the fit is to the kernel that ran.
    /// </summary>
    public int? Registers { get; init; }

    /// <summary>
    /// The shortest time a record may claim, 1 ns: no kernel launch on any device is shorter. With
    /// <see cref="MaxTimeMs"/> it keeps every ratio of two records' times (speedups, calibration's
    /// orders) finite, whatever a file claims.
    /// </summary>
    public const double MinTimeMs = 1e-6;

    /// <summary>The longest time a record may claim, 1e9 ms (11.6 days): longer than any tuning run waits for a kernel.</summary>
    public const double MaxTimeMs = 1e9;

    /// <summary>Most registers a record may claim: no NVIDIA architecture gives a thread more.</summary>
    public const int MaxRegisters = 255;

    /// <summary>A record of <paramref name="result"/>, measured now for <paramref name="form"/>.</summary>
    public static TuningRecord Of(CanonicalForm form, string name, string device, string profile, string policy, CandidateResult result) =>
        new(form.Text, form.Hash, name, device, profile, policy, form.ToCanonical(result.Schedule), result.EstimatedMs,
            result.Measurement, ToolVersion, DateTimeOffset.UtcNow)
        {
            Registers = result.Compiled?.Registers,
        };

    /// <summary>The result this record stands for, with the operator's own tensor names.</summary>
    public CandidateResult ToResult(CanonicalForm form) =>
        new(form.FromCanonical(Schedule), EstimatedMs, Measurement) { FromRecords = true };

    /// <summary>The record as one line of JSON (no newline).</summary>
    public string ToJsonLine()
    {
        var m = Measurement;
        var json = new JsonObject
        {
            ["op"] = Op,
            ["op_hash"] = OpHash,
            ["name"] = Name,
            ["device"] = Device,
            ["profile"] = Profile,
            ["policy"] = Policy,
            ["schedule"] = Schedule.ToString(),
            ["estimated_ms"] = EstimatedMs,
            ["measured_ms"] = m.MedianMs,
            ["min_ms"] = m.MinMs,
            ["max_ms"] = m.MaxMs,
            ["repetitions"] = m.Repetitions,
            ["max_abs_error"] = JsonNumber.Finite(m.MaxAbsError),
            ["tolerance"] = JsonNumber.Finite(m.Tolerance),
            ["verified"] = m.Verified,
            ["error"] = m.Error,
            ["version"] = Version,
            ["time"] = Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        };
        if (m.CheckedElements is { } compared)
        {
            json["checked_elements"] = compared;
        }
        if (Registers is { } registers)
        {
            json["registers"] = registers;
        }
        return json.ToJsonString(_lineOptions);
    }

    /// <summary>Reads a line written by <see cref="ToJsonLine"/>; null when it is not a whole, valid record.</summary>
    public static TuningRecord? TryParse(string line) => TryParse(line, out _);

    /// <summary>
    /// Reads a line written by <see cref="ToJsonLine"/> and checks it as the
    /// verifier and the timer would have written it: the schema (every field of
    /// its type), an <c>op_hash</c> that is the hash of <c>op</c>, a schedule
    /// that fits the operator's axes, and for a verified record finite positive
    /// times with min &lt;= median &lt;= max and a <c>max_abs_error</c> within its
    /// recorded <c>tolerance</c>, itself no more than the verifier can state for
    /// the operator (<see cref="ToleranceCeiling"/>) and a compared-element count, where one is given, of 1 to
    /// the output's elements, and for a failed one no times nor count. Null, with <paramref name="problem"/> saying
    /// why, for anything else: a torn line, a damaged one, a forged one.
    /// </summary>
    public static TuningRecord? TryParse(string line, out string problem)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject json)
            {
                problem = "not a JSON object";
                return null;
            }
            return Validate(json, out problem);
        }
        catch (JsonException)
        {
            problem = "not a whole JSON object (a line torn by a killed run?)";
            return null;
        }
        catch (FormatException exception)
        {
            problem = exception.Message;
            return null;
        }
        catch (InvalidOperationException)
        {
            problem = "a field has a value out of its type's range";
            return null;
        }
    }

    private static TuningRecord? Validate(JsonObject json, out string problem)
    {
        var op = Plain(json, "op", required: true)!;
        var opHash = Text(json, "op_hash", required: true)!;
        if (opHash != CanonicalForm.HashOf(op))
        {
            problem = $"'op_hash' {opHash} is not the hash of its 'op'";
            return null;
        }
        Schedule schedule;
        try
        {
            schedule = Schedule.Parse(Text(json, "schedule", required: true)!);
        }
        catch (FormatException exception)
        {
            problem = $"'schedule': {exception.Message}";
            return null;
        }
        if (ScheduleMismatch(op, schedule) is { } mismatch)
        {
            problem = mismatch;
            return null;
        }
        var verified = json["verified"] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw new FormatException("'verified' is missing or not true/false");
        var error = Number(json, "max_abs_error");
        var tolerance = Number(json, "tolerance");
        var median = Number(json, "measured_ms");
        var min = Number(json, "min_ms");
        var max = Number(json, "max_ms");
        var estimated = Number(json, "estimated_ms");
        var repetitions = json["repetitions"] is null ? 0 : Integer(json, "repetitions");
        var message = Text(json, "error", required: false);
        foreach (var (name, value) in new[] { ("max_abs_error", error), ("tolerance", tolerance), ("estimated_ms", estimated) })
        {
            if (value is { } x && !(double.IsFinite(x) && x >= 0))
            {
                problem = $"'{name}' is {Show(x)}, not a finite number of at least 0";
                return null;
            }
        }
        foreach (var (name, value) in new[] { ("measured_ms", median), ("min_ms", min), ("max_ms", max) })
        {
            if (value is { } x && !(x >= MinTimeMs && x <= MaxTimeMs))
            {
                problem = $"'{name}' is {Show(x)}, not a time from {Show(MinTimeMs)} to {Show(MaxTimeMs)} ms";
                return null;
            }
        }
        if (repetitions < 0)
        {
            problem = $"'repetitions' is {repetitions}";
            return null;
        }
        int? registers = json["registers"] is null ? null : Integer(json, "registers");
        if (registers is < 1 or > MaxRegisters)
        {
            problem = $"'registers' is {registers}, not a count of 1 to {MaxRegisters}";
            return null;
        }
        int? compared = json["checked_elements"] is null ? null : Integer(json, "checked_elements");
        if (verified)
        {
            if (median is null || min is null || max is null || repetitions < 1)
            {
                problem = "verified, but without its times (measured_ms, min_ms, max_ms, repetitions)";
                return null;
            }
            if (!(min <= median && median <= max))
            {
                problem = $"the median {Show(median.Value)} ms is not within its spread {Show(min.Value)}..{Show(max.Value)} ms";
                return null;
            }
            if (error is null || tolerance is null)
            {
                problem = "verified, but without 'max_abs_error' and the 'tolerance' it was verified against (written by an older gensor?); it will be measured again";
                return null;
            }
            if (error > tolerance)
            {
                problem = $"verified, but its max_abs_error {Show(error.Value)} exceeds its tolerance {Show(tolerance.Value)}";
                return null;
            }
            if (message is not null)
            {
                problem = "verified, yet it carries an error message";
                return null;
            }
            if (ClaimProblem(op, opHash, schedule, tolerance.Value, compared) is { } claimed)
            {
                problem = claimed;
                return null;
            }
        }
        else if (median is not null || min is not null || max is not null)
        {
            // Only a kernel that verified is timed (Measurement): a failure with a time was not written by the runner.
            problem = "not verified, yet it carries times (measured_ms, min_ms, max_ms): only a verified kernel is timed";
            return null;
        }
        else if (compared is not null)
        {
            problem = "not verified, yet it carries 'checked_elements': only a verified kernel's count is recorded";
            return null;
        }
        var measurement = new Measurement(verified, error ?? double.NaN, median, min, max, repetitions, 0, message)
        {
            Tolerance = tolerance ?? double.NaN,
            CheckedElements = compared,
        };
        problem = "";
        return new TuningRecord(
            op,
            opHash,
            Plain(json, "name", required: false) ?? "",
            NonEmpty(json, "device"),
            NonEmpty(json, "profile"),
            NonEmpty(json, "policy"),
            schedule,
            estimated,
            measurement,
            Plain(json, "version", required: false) ?? "unknown",
            DateTimeOffset.TryParse(Text(json, "time", required: true), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
                ? time
                : throw new FormatException("'time' is not a date and time"))
        {
            Registers = registers,
        };
    }

    /// <summary>
    /// Why a verified record's tolerance or compared-element count cannot be what the verifier stated,
    /// or null. The tolerance must be at most <see cref="ToleranceCeiling"/> of its operator, the
    /// largest tolerance any inputs the verifier makes can give it, or the record's error was measured
    /// against a bound of its own making; the count (absent in records of older builds) must be of 1
    /// to the output's elements, since a kernel with nothing compared is not verified.
    /// </summary>
    private static string? ClaimProblem(string op, string opHash, Schedule schedule, double tolerance, int? compared)
    {
        var tf32 = schedule.Mma == MmaShape.M16N8K8Tf32;
        if (_facts.Count > MaxCachedFacts)
        {
            _facts.Clear();
        }
        var facts = _facts.GetOrAdd((op, tf32), static key =>
            RecordedOperator.TryRebuild(key.Op, CanonicalForm.HashOf(key.Op)) is { } rebuilt
                ? new OperatorFacts(ToleranceCeiling.Of(rebuilt, Reference.Tolerance.Of(rebuilt, key.Tf32)), rebuilt.Output.ElementCount)
                : null);
        if (facts is null)
        {
            return $"verified, but its 'op' does not rebuild to an operator (hash {opHash}), so its tolerance cannot be checked";
        }
        if (compared is { } count && (count < 1 || count > facts.OutputElements))
        {
            return $"verified, but its 'checked_elements' is {count}, not a count of 1 to the output's {facts.OutputElements} elements";
        }
        // The ceiling is computed in another order of double operations than the bound itself: allow for their rounding.
        return tolerance > facts.Ceiling * (1 + 1e-9)
            ? $"verified, but its tolerance {Show(tolerance)} exceeds {Show(facts.Ceiling)}, the most the verifier states for this operator"
                + $" ({(tf32 ? "tf32, " : "")}inputs in [-{Show(InputGenerator.MaxMagnitude)}, {Show(InputGenerator.MaxMagnitude)}])"
            : null;
    }

    // Records of one operator repeat its text: its facts are worked out once (a bounded cache, for files of many operators).
    private const int MaxCachedFacts = 4096;
    private static readonly ConcurrentDictionary<(string Op, bool Tf32), OperatorFacts?> _facts = new();

    private sealed record OperatorFacts(double Ceiling, long OutputElements);

    /// <summary>
    /// Whether the schedule has one block, thread and vthread size per spatial
    /// axis and one reduce step per reduce axis of the canonical operator
    /// (<c>extents s0=..,r0=..</c>), and stages only its inputs (<c>T1, T2, ...</c>).
    /// </summary>
    private static string? ScheduleMismatch(string op, Schedule schedule)
    {
        var extents = op.IndexOf("; extents ", StringComparison.Ordinal);
        var shapes = op.IndexOf("; shapes ", StringComparison.Ordinal);
        if (extents < 0 || shapes < extents)
        {
            return "'op' is not a canonical operator";
        }
        var axes = op[(extents + "; extents ".Length)..shapes].Split(',');
        var spatial = axes.Count(a => a.StartsWith('s'));
        var reduce = axes.Count(a => a.StartsWith('r'));
        var inputs = op[(shapes + "; shapes ".Length)..].Split("],").Length - 1;
        if (schedule.BlockTile.Count != spatial || schedule.ThreadTile.Count != spatial || schedule.VirtualThreads.Count != spatial
            || schedule.ReduceStep.Count != reduce)
        {
            return $"its schedule ({schedule}) does not fit the operator's {spatial} spatial and {reduce} reduce axes";
        }
        foreach (var staged in schedule.SharedInputs)
        {
            if (!(staged.Length > 1 && staged[0] == 'T' && int.TryParse(staged.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var input)
                && input >= 1 && input <= inputs))
            {
                return $"its schedule stages '{staged}', which is not an input of the operator";
            }
        }
        return null;
    }

    private static string? Text(JsonObject json, string field, bool required) => json[field] switch
    {
        null when !required => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        null => throw new FormatException($"'{field}' is missing"),
        _ => throw new FormatException($"'{field}' is not a string"),
    };

    private static string NonEmpty(JsonObject json, string field) =>
        Plain(json, field, required: true) is { Length: > 0 } text ? text : throw new FormatException($"'{field}' is empty");

    /// <summary>
    /// A text field that tables and reports print as it is: gensor never writes a control character
    /// into one (names are checked, devices come from the driver), and one from a file could clear a
    /// terminal or forge a table's row.
    /// </summary>
    private static string? Plain(JsonObject json, string field, bool required)
    {
        var text = Text(json, field, required);
        return text is not null && Printable.HasControl(text)
            ? throw new FormatException($"'{field}' holds a control character ({Printable.Text(text.Length > 60 ? text[..60] + "..." : text)})")
            : text;
    }

    private static double? Number(JsonObject json, string field) => json[field] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>(),
        _ => throw new FormatException($"'{field}' is not a number"),
    };

    private static int Integer(JsonObject json, string field) =>
        json[field] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var integer)
            ? integer
            : throw new FormatException($"'{field}' is not an integer");

    private static string Show(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
