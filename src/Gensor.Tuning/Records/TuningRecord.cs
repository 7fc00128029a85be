using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Etir;

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

    public bool Verified => Measurement.Verified;

    public double? MeasuredMs => Measurement.MedianMs;

    /// <summary>A record of <paramref name="result"/>, measured now for <paramref name="form"/>.</summary>
    public static TuningRecord Of(CanonicalForm form, string name, string device, string profile, string policy, CandidateResult result) =>
        new(form.Text, form.Hash, name, device, profile, policy, form.ToCanonical(result.Schedule), result.EstimatedMs,
            result.Measurement, ToolVersion, DateTimeOffset.UtcNow);

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
            ["max_abs_error"] = double.IsFinite(m.MaxAbsError) ? m.MaxAbsError : null,
            ["verified"] = m.Verified,
            ["error"] = m.Error,
            ["version"] = Version,
            ["time"] = Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        };
        return json.ToJsonString(_lineOptions);
    }

    /// <summary>Reads a line written by <see cref="ToJsonLine"/>; null when it is not a whole record.</summary>
    public static TuningRecord? TryParse(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject json)
            {
                return null;
            }
            var measurement = new Measurement(
                json["verified"]?.GetValue<bool>() ?? throw new FormatException("record lacks 'verified'"),
                (double?)json["max_abs_error"] ?? double.NaN,
                (double?)json["measured_ms"],
                (double?)json["min_ms"],
                (double?)json["max_ms"],
                (int?)json["repetitions"] ?? 0,
                0,
                (string?)json["error"]);
            return new TuningRecord(
                Required(json, "op"),
                Required(json, "op_hash"),
                (string?)json["name"] ?? "",
                Required(json, "device"),
                Required(json, "profile"),
                Required(json, "policy"),
                Schedule.Parse(Required(json, "schedule")),
                (double?)json["estimated_ms"],
                measurement,
                (string?)json["version"] ?? "unknown",
                DateTimeOffset.Parse(Required(json, "time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Required(JsonObject json, string field) =>
        (string?)json[field] ?? throw new FormatException($"record lacks '{field}'");
}
