using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Gensor.Tests.Support;
using Gensor.Tests.Workflow;

namespace Gensor.Tests.Properties;

/// <summary>
/// Property-based tests (CsCheck) of issue 13's promise: every expression,
/// spec, profile and records file either works or gives exit 2 with exactly one
/// <c>error:</c> line and writes nothing. Most samples run the command line in
/// this process (fast); a few run the real program. CsCheck prints the seed of
/// a failing sample and shrinks it to a small one.
/// </summary>
public sealed class InputPropertyTests
{
    private static readonly string[] Axes = ["m", "n", "k"];

    private static readonly Gen<string> Index =
        Gen.Select(Gen.OneOf(Axes), Gen.Int[-2, 3], Gen.Int[-3, 3], (axis, scale, offset) =>
            scale == 0 ? offset.ToString(CultureInfo.InvariantCulture)
            : $"{(scale == 1 ? axis : $"{axis}*{scale}")}{(offset == 0 ? "" : offset > 0 ? $"+{offset}" : $"{offset}")}");

    private static readonly Gen<string> Read =
        Gen.Select(Gen.OneOf("A", "B", "D", "Grid", "XMath"), Index, Index, Gen.Bool, (tensor, i, j, two) => two ? $"{tensor}[{i},{j}]" : $"{tensor}[{i}]");

    private static readonly Gen<string> Constant =
        Gen.OneOf("0", "1", "2.5", "0.001", "1e30", "1e-30", "3e38", "7");

    /// <summary>Expression trees of reads, constants, every operator and function.</summary>
    private static readonly Gen<string> Expression = Gen.Recursive<string>((depth, self) => depth >= 4
        ? Gen.Frequency((3, Read), (1, Constant))
        : Gen.Frequency(
            (3, Read),
            (1, Constant),
            (2, Gen.Select(self, Gen.OneOf("+", "-", "*", "/"), self, (l, op, r) => $"({l} {op} {r})")),
            (1, Gen.Select(Gen.OneOf("relu", "exp", "tanh", "sigmoid", "sqrt", "abs", "-"), self, (f, x) => f == "-" ? $"-{x}" : $"{f}({x})")),
            (1, Gen.Select(Gen.OneOf("max", "min"), self, self, (f, a, b) => $"{f}({a}, {b})"))));

    /// <summary>An expression with a few characters replaced, inserted or deleted: mostly not valid any more.</summary>
    private static readonly Gen<string> Mutated =
        Gen.Select(Expression, Gen.Int[0, 1000].Array[1, 4], Gen.OneOf("(", ")", "[", "]", ",", "*", "=", "+=", "x", "1e999", "\n", "\u001b", "é", "").Array[4],
            (text, positions, inserts) =>
            {
                var mutated = text;
                for (var i = 0; i < positions.Length && mutated.Length > 0; i++)
                {
                    var at = positions[i] % mutated.Length;
                    mutated = i % 2 == 0 ? mutated.Remove(at, 1).Insert(at, inserts[i]) : mutated.Insert(at, inserts[i]);
                }
                return mutated;
            });

    private static readonly Gen<string> Shape =
        Gen.Select(Gen.OneOf(1, 2, 4, 7, 0, -1, 65536, 2147483647), Gen.OneOf(1, 3, 4, 8), Gen.OneOf(1, 2, 5), (m, n, k) => $"m={m},n={n},k={k}");

    /// <summary>exit 0, or exit 2 with one line "error: ..." and no stack trace; and nothing written where no file was asked for.</summary>
    private static void AssertWorksOrBadInput(GensorCli.Result result, string? outDir = null, bool noResultAllowed = false)
    {
        if (result.ExitCode == 0 || (noResultAllowed && result.ExitCode == 3 && result.Error.Contains("constructed no schedule", StringComparison.Ordinal)))
        {
            return;
        }
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "one error line, not: " + result.Error);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain('\u001b', result.Error);
        if (outDir is not null)
        {
            Assert.False(Directory.Exists(outDir), "bad input wrote " + outDir);
        }
    }

    [Fact]
    public void Every_expression_is_explained_or_refused_as_bad_input()
    {
        Gen.Select(Gen.Frequency((2, Expression), (1, Mutated)), Shape, Gen.Bool, (body, shape, reduce) => (body, shape, reduce))
            .Sample((body, shape, reduce) =>
                AssertWorksOrBadInput(GensorCli.Run("explain", "--compute", $"C[m,n] {(reduce ? "+=" : "=")} {body}", "--shape", shape)),
                iter: 300, threads: 1);
    }

    [Fact]
    public void Every_expression_a_policy_constructs_for_is_explained_with_candidates_or_refused()
    {
        Gen.Select(Expression, Gen.OneOf("h100", "cpu", "orin"), Gen.OneOf("gensor", "roller", "naive"), (body, target, policy) => (body, target, policy))
            .Sample((body, target, policy) =>
                AssertWorksOrBadInput(GensorCli.Run("explain", "--compute", $"C[m,n] += {body} * A[m,k]", "--shape", "m=8,n=4,k=4",
                    "--target", target, "--policy", policy, "--top-k", "2")),
                iter: 40, threads: 1);
    }

    private static readonly Gen<JsonNode?> AnyJson = Gen.OneOf<JsonNode?>(
        null, JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(4), JsonValue.Create(2.5), JsonValue.Create(1e300),
        JsonValue.Create("x"), JsonValue.Create(""), JsonValue.Create("a\nb"), JsonValue.Create(true), new JsonArray(), new JsonObject(),
        new JsonArray(4, 4), new JsonObject { ["m"] = 4 }, new JsonObject { ["m"] = "4" });

    /// <summary>Spec objects: each field present or not, well formed or of any other type.</summary>
    private static readonly Gen<string> SpecText =
        Gen.Select(Gen.Bool.Array[8], AnyJson.Array[8], Expression, Shape, (keep, junk, body, shape) =>
        {
            var spec = new JsonObject();
            var good = new Dictionary<string, JsonNode?>
            {
                ["name"] = "p",
                ["compute"] = $"C[m,n] += {body}",
                ["shape"] = new JsonObject(shape.Split(',').Select(part => part.Split('=')).Select(kv =>
                    KeyValuePair.Create(kv[0], (JsonNode?)JsonValue.Create(long.Parse(kv[1], CultureInfo.InvariantCulture))))),
                ["tensors"] = new JsonObject { ["A"] = new JsonArray(8, 8) },
                ["dtype"] = "float32",
                ["epilogue"] = "relu(C[m,n])",
                ["count"] = 2,
                ["bogus"] = 1,
            };
            var i = 0;
            foreach (var (field, value) in good)
            {
                if (keep[i])
                {
                    spec[field] = i % 3 == 0 ? junk[i]?.DeepClone() : value?.DeepClone();
                }
                i++;
            }
            return spec.ToJsonString();
        });

    [Fact]
    public void Every_spec_file_is_explained_or_refused_as_bad_input()
    {
        using var dir = new TempDirectory();
        var n = 0;
        SpecText.Sample(text =>
        {
            var path = dir.File($"s{n++}.json", text);
            AssertWorksOrBadInput(GensorCli.Run("explain", path));
        }, iter: 200, threads: 1);
    }

    private static readonly string[] ProfileFields =
    [
        "multiprocessors", "warp_size", "max_threads_per_block", "max_threads_per_multiprocessor", "max_blocks_per_multiprocessor",
        "registers_per_multiprocessor", "max_registers_per_thread", "shared_memory_per_block", "shared_memory_per_multiprocessor",
        "l2_bytes", "dram_bandwidth_gbs", "peak_gflops", "shared_memory_banks", "transaction_bytes",
    ];

    private static readonly Gen<string> ProfileText =
        Gen.Select(Gen.OneOf("sm_80", "sm_90", "sm_70", "cpu", "gfx90a"), Gen.Int[0, ProfileFields.Length - 1].Array[0, 4],
            Gen.OneOf<JsonNode?>(JsonValue.Create(1), JsonValue.Create(16), JsonValue.Create(32), JsonValue.Create(33), JsonValue.Create(1024),
                JsonValue.Create(49152), JsonValue.Create(1 << 30), JsonValue.Create(int.MaxValue), JsonValue.Create(1e300), JsonValue.Create(0.5),
                JsonValue.Create(0), JsonValue.Create(-3), JsonValue.Create("x"), null).Array[4],
            (architecture, fields, values) =>
            {
                var profile = new JsonObject { ["name"] = "fuzz", ["architecture"] = architecture };
                for (var i = 0; i < fields.Length; i++)
                {
                    profile[ProfileFields[fields[i]]] = values[i]?.DeepClone();
                }
                return profile.ToJsonString();
            });

    [Fact]
    public void Every_profile_file_constructs_emits_or_is_refused_as_bad_input()
    {
        using var dir = new TempDirectory();
        var n = 0;
        ProfileText.Sample(text =>
        {
            var path = dir.File($"p{n}.json", text);
            var outDir = Path.Combine(dir.Path, $"out{n++}");
            string[] gemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=32", "--target", path];
            AssertWorksOrBadInput(GensorCli.Run(["explain", .. gemm, "--policy", "roller"]));
            var emitted = GensorCli.Run(["emit", .. gemm, "--out", outDir]);
            AssertWorksOrBadInput(emitted, outDir, noResultAllowed: true);
            if (emitted.ExitCode == 0)
            {
                var launch = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!;
                Assert.InRange((int)launch["group"]!, 1, 65536);
                Assert.InRange((int)launch["grid"]!, 1, int.MaxValue);
            }
        }, iter: 60, threads: 1);
    }

    /// <summary>One records line: an honest record, the same with one field changed to anything, a torn line or junk.</summary>
    private static readonly Gen<string> RecordLine =
        Gen.Select(Gen.Int[0, 5], Gen.OneOf("measured_ms", "min_ms", "max_ms", "max_abs_error", "tolerance", "verified", "repetitions",
            "op_hash", "schedule", "time", "op", "device", "estimated_ms", "error"), AnyJson, Gen.Double[0.001, 100], Gen.Int[1, 200],
            (kind, field, value, ms, cut) =>
            {
                var honest = Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8 shared=A,B", ms).ToJsonLine();
                switch (kind)
                {
                    case 0:
                    case 1:
                        return honest;
                    case 2:
                    case 3:
                        var json = JsonNode.Parse(honest)!.AsObject();
                        json[field] = value?.DeepClone();
                        return json.ToJsonString();
                    case 4:
                        return honest[..Math.Min(cut, honest.Length - 1)];
                    default:
                        return "junk \u0001 line";
                }
            });

    [Fact]
    public void Records_best_reports_only_records_that_can_be_true_and_warns_once_for_each_other_line()
    {
        using var dir = new TempDirectory();
        var n = 0;
        RecordLine.Array[1, 8].Sample(lines =>
        {
            var path = dir.File($"r{n++}.jsonl", string.Join("\n", lines) + "\n");

            var result = GensorCli.Run("records", "best", path, "--format", "json");

            Assert.True(result.ExitCode == 0, result.Error);
            foreach (var record in JsonNode.Parse(result.Output)!.AsArray())
            {
                Assert.True((bool)record!["verified"]!);
                var (median, min, max) = ((double)record["measured_ms"]!, (double)record["min_ms"]!, (double)record["max_ms"]!);
                Assert.True(min > 0 && min <= median && median <= max && double.IsFinite(max));
                Assert.True((double)record["max_abs_error"]! <= (double)record["tolerance"]!);
            }
            var warnings = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(warnings, w => Assert.Matches($"^warning: {System.Text.RegularExpressions.Regex.Escape(path)}:[0-9]+: skipped a record: ", w));
            Assert.Equal(warnings.Length, warnings.Distinct().Count());
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void Records_merge_writes_only_valid_records()
    {
        using var dir = new TempDirectory();
        var n = 0;
        RecordLine.Array[1, 8].Sample(lines =>
        {
            var text = string.Join("\n", lines) + "\n";
            var path = dir.File($"r{n}.jsonl", text);
            var merged = Path.Combine(dir.Path, $"m{n++}.jsonl");

            var result = GensorCli.Run("records", "merge", path, "-o", merged);

            if (!Gensor.Tuning.Records.RecordFile.IsRecordsText(text))
            {
                // Junk and torn lines only: not a records file, refused rather than read as none.
                Assert.Equal(2, result.ExitCode);
                Assert.False(File.Exists(merged));
                return;
            }
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.All(File.ReadAllLines(merged), line => Assert.NotNull(Gensor.Tuning.Records.TuningRecord.TryParse(line)));
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void The_real_program_explains_or_refuses_generated_specs()
    {
        using var dir = new TempDirectory();
        var n = 0;
        SpecText.Sample(text =>
        {
            var path = dir.File($"s{n++}.json", text);
            var result = GensorProcess.Observe(dir.Path, ["explain", path]);
            Assert.False(result.TimedOut);
            if (result.ExitCode != 0)
            {
                GensorProcess.AssertBadInput(result);
            }
        }, iter: 6, threads: 1);
    }
}
