using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Gensor.Diagnostics;
using Gensor.Files;

namespace Gensor.Hardware;

/// <summary>
/// Finds a profile by built-in name or profile file, and reads and writes
/// profile files. A profile file is a JSON object with snake_case keys named
/// after <see cref="HardwareProfile"/>'s properties (<c>multiprocessors</c>,
/// <c>warp_size</c>, <c>shared_memory_per_block</c>, <c>l2_bytes</c>,
/// <c>dram_bandwidth_gbs</c>, <c>peak_gflops</c>, ...). Only <c>name</c> and
/// <c>architecture</c> are required: missing figures are taken from the
/// closest built-in profile and listed in <see cref="HardwareProfile.EstimatedFields"/>.
/// Unknown keys are errors, so a misspelt figure is not silently replaced.
/// </summary>
public static class ProfileCatalog
{
    private static readonly string[] NumericFields =
    [
        "multiprocessors", "warp_size", "max_threads_per_block", "max_threads_per_multiprocessor",
        "max_blocks_per_multiprocessor", "registers_per_multiprocessor", "max_registers_per_thread",
        "shared_memory_per_block", "shared_memory_per_multiprocessor", "l2_bytes", "dram_bandwidth_gbs",
        "peak_gflops", "shared_memory_banks", "transaction_bytes",
        "clock_mhz", "l2_bandwidth_gbs", "memory_latency_ns", "dram_efficiency", "issue_efficiency",
        "barrier_ns", "launch_us", "occupancy_goal_threads", "thread_sync_ns", "max_unrolled_updates",
    ];

    // Tensor-core peaks: optional, 0 meaning none; a file without them takes the closest built-in's (not marked estimated).
    private static readonly string[] TensorFields = ["tensor_gflops_f16", "tensor_gflops_bf16", "tensor_gflops_tf32"];

    // Rules of thumb rather than figures of the device: optional, a file without them takes the closest built-in's (not marked estimated).
    private static readonly string[] RuleFields = ["min_threads_per_block", "overlap_loss"];
    /// <summary>The largest profile file read.</summary>
    private const long MaxFileBytes = 1L << 20;

    /// <summary>
    /// What each figure may be: far beyond any GPU at the top, so a real device
    /// always fits, and small enough that the cost model's products and its
    /// per-bank and per-lane tables stay within their types (<see cref="FieldRange"/>).
    /// </summary>
    private static readonly Dictionary<string, FieldRange> Ranges = new()
    {
        ["multiprocessors"] = new(1, 65_536),
        ["warp_size"] = new(1, 1024, PowerOfTwo: true),
        ["max_threads_per_block"] = new(1, 65_536),
        ["max_threads_per_multiprocessor"] = new(1, 1 << 20),
        ["max_blocks_per_multiprocessor"] = new(1, 1024),
        ["registers_per_multiprocessor"] = new(1, 1 << 24),
        ["max_registers_per_thread"] = new(1, 65_536),
        ["shared_memory_per_block"] = new(1, 1 << 30),
        ["shared_memory_per_multiprocessor"] = new(1, 1 << 30),
        ["l2_bytes"] = new(1, 1L << 40),
        ["dram_bandwidth_gbs"] = new(1e-3, 1e9),
        ["peak_gflops"] = new(1e-3, 1e9),
        ["shared_memory_banks"] = new(1, 1024, PowerOfTwo: true),
        ["transaction_bytes"] = new(4, 4096, PowerOfTwo: true),
        ["clock_mhz"] = new(1, 100_000),
        ["l2_bandwidth_gbs"] = new(1e-3, 1e9),
        ["memory_latency_ns"] = new(1e-3, 1e7),
        ["dram_efficiency"] = new(1e-3, 1),
        ["issue_efficiency"] = new(1e-3, 1),
        ["barrier_ns"] = new(1e-3, 1e7),
        ["launch_us"] = new(1e-3, 1e7),
        ["occupancy_goal_threads"] = new(1, 1 << 20, ZeroAllowed: true),
        ["thread_sync_ns"] = new(1e-3, 1e9, ZeroAllowed: true),
        ["max_unrolled_updates"] = new(1, 1 << 24, ZeroAllowed: true),
        ["overlap_loss"] = new(1e-6, 1, ZeroAllowed: true),
    };

    /// <summary>
    /// What a profile file may give a field: a number within <paramref name="Min"/>..<paramref name="Max"/>; a power of
    /// two where <paramref name="PowerOfTwo"/> (divisors and moduli assume it); and 0 as well where
    /// <paramref name="ZeroAllowed"/>, meaning "none" (no minimum occupancy, synchronisation in hardware, no unrolling
    /// limit of the profile's own, no overlap loss: the largest bound alone).
    /// </summary>
    private readonly record struct FieldRange(double Min, double Max, bool PowerOfTwo = false, bool ZeroAllowed = false);

    /// <summary>The values a profile file may give <paramref name="field"/> (its key, e.g. <c>clock_mhz</c>).</summary>
    public static (double Min, double Max) AcceptedRange(string field) => (Ranges[field].Min, Ranges[field].Max);

    /// <summary>The built-in profiles, for <c>gensor profiles</c>.</summary>
    public static IReadOnlyList<HardwareProfile> All => BuiltInProfiles.All;

    /// <summary>
    /// A built-in profile by name (case-insensitive), else the profile file at
    /// <paramref name="nameOrPath"/>. Throws <see cref="GensorException"/> (bad input)
    /// for an unknown name or a malformed file.
    /// </summary>
    public static HardwareProfile Get(string nameOrPath)
    {
        foreach (var profile in All)
        {
            if (string.Equals(profile.Name, nameOrPath, StringComparison.OrdinalIgnoreCase))
            {
                return profile;
            }
        }
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath))
        {
            return ReadFile(nameOrPath);
        }
        throw GensorException.BadInput(
            $"unknown profile '{Printable.Text(nameOrPath)}' (known: {string.Join(", ", All.Select(p => p.Name))}; or give a profile JSON file)");
    }

    /// <summary>
    /// The built-in GPU profile nearest to <paramref name="architecture"/> (e.g. <c>sm_86</c>):
    /// the same architecture when there is one, else the nearest compute capability,
    /// the older one on a tie. <c>cpu</c> gives the CPU profile; anything unreadable gives h100.
    /// </summary>
    public static HardwareProfile Closest(string architecture)
    {
        if (string.Equals(architecture, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            return BuiltInProfiles.Cpu;
        }
        var target = ComputeCapability(architecture);
        if (target is null)
        {
            return BuiltInProfiles.H100;
        }
        HardwareProfile? best = null;
        var bestDistance = int.MaxValue;
        foreach (var profile in All)
        {
            if (ComputeCapability(profile.Architecture) is not { } capability)
            {
                continue;
            }
            var distance = Math.Abs(capability - target.Value);
            if (distance < bestDistance || (distance == bestDistance && best is not null && capability < ComputeCapability(best.Architecture)))
            {
                best = profile;
                bestDistance = distance;
            }
        }
        return best ?? BuiltInProfiles.H100;
    }

    /// <summary>Reads a profile file; errors name the file and the field.</summary>
    public static HardwareProfile ReadFile(string path)
    {
        return FromJson(InputFile.ReadText(path, "profile file", MaxFileBytes), Printable.Text(path));
    }

    /// <summary>Reads a profile from JSON text; <paramref name="source"/> names it in error messages.</summary>
    public static HardwareProfile FromJson(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException error)
        {
            throw GensorException.BadInput($"profile file {source}: not valid JSON ({error.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw GensorException.BadInput($"profile file {source}: expected a JSON object");
            }
            if (JsonStrings.Problem(root) is { } strings)
            {
                throw GensorException.BadInput($"profile file {source}: {strings}");
            }
            // The parser keeps the last of two equal keys: a figure given twice would be replaced silently.
            if (root.EnumerateObject().GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw GensorException.BadInput($"profile file {source}: field '{Printable.Text(twice.Key)}' is given twice");
            }
            var known = NumericFields.Concat(TensorFields).Concat(RuleFields).Concat(["name", "architecture", "simulated", "estimated_fields", "warp_shuffles", "async_copies"]).ToHashSet();
            foreach (var property in root.EnumerateObject())
            {
                if (!known.Contains(property.Name))
                {
                    throw GensorException.BadInput($"profile file {source}: unknown field '{Printable.Text(property.Name)}'");
                }
            }
            var name = RequiredString(root, "name", source);
            var architecture = RequiredString(root, "architecture", source);
            // Anything else used to borrow h100's figures in silence and stopped ptxas later.
            if (!string.Equals(architecture, "cpu", StringComparison.OrdinalIgnoreCase) && ComputeCapability(architecture) is not (>= 10 and <= 999))
            {
                throw GensorException.BadInput($"profile file {source}: field 'architecture' is '{Printable.Text(architecture)}', expected sm_XY (a CUDA compute capability, e.g. sm_90) or cpu");
            }
            var closest = Closest(architecture);
            var estimated = new List<string>();
            if (root.TryGetProperty("estimated_fields", out var listed))
            {
                if (listed.ValueKind != JsonValueKind.Array || listed.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
                {
                    throw GensorException.BadInput($"profile file {source}: field 'estimated_fields' is not a list of names");
                }
                // Only a figure can have been estimated; any other string would only grow the file that calibrate writes
                // back past the size a profile may have (found by fuzzing).
                foreach (var item in listed.EnumerateArray().Select(item => item.GetString()!))
                {
                    estimated.Add(NumericFields.Contains(item)
                        ? item
                        : throw GensorException.BadInput($"profile file {source}: field 'estimated_fields' lists '{Printable.Text(item)}', which is not a figure of a profile"));
                }
            }
            double TensorPeak(string field, double fallback)
            {
                if (!root.TryGetProperty(field, out var value))
                {
                    return fallback;
                }
                return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number >= 0 && number <= Ranges["peak_gflops"].Max
                    ? number
                    : throw GensorException.BadInput($"profile file {source}: field '{field}' is not a number of GFLOP/s within 0..{Ranges["peak_gflops"].Max.ToString(CultureInfo.InvariantCulture)} (0 for none)");
            }
            double Number(string field, double fallback)
            {
                if (!root.TryGetProperty(field, out var value))
                {
                    estimated.Add(field);
                    return fallback;
                }
                var (min, max, powerOfTwo, zeroAllowed) = Ranges[field];
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < 0 || number == 0 && !zeroAllowed)
                {
                    throw GensorException.BadInput($"profile file {source}: field '{field}' is not {(zeroAllowed ? "0 or " : "")}a positive number");
                }
                if (number == 0)
                {
                    return 0;
                }
                if (number < min || number > max)
                {
                    throw GensorException.BadInput($"profile file {source}: field '{field}' is {number.ToString(CultureInfo.InvariantCulture)}, outside {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
                }
                if (powerOfTwo && !(number == Math.Floor(number) && BitOperations.IsPow2((long)number)))
                {
                    throw GensorException.BadInput($"profile file {source}: field '{field}' is {number.ToString(CultureInfo.InvariantCulture)}, not a power of two");
                }
                return number;
            }
            int MinThreads(int fallback)
            {
                if (!root.TryGetProperty("min_threads_per_block", out var value))
                {
                    return fallback;
                }
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var threads) && threads >= 0 && threads <= Ranges["max_threads_per_block"].Max
                    ? threads
                    : throw GensorException.BadInput($"profile file {source}: field 'min_threads_per_block' is not a whole number of threads within 0..{Ranges["max_threads_per_block"].Max.ToString(CultureInfo.InvariantCulture)} (0 for none)");
            }
            // A rule's share (overlap_loss): optional like min_threads_per_block, so a file without it is not estimated.
            double Share(string field, double fallback) => root.TryGetProperty(field, out _) ? Number(field, fallback) : fallback;
            int Int(string field, int fallback)
            {
                var number = Number(field, fallback);
                return number == Math.Floor(number) && number <= int.MaxValue
                    ? (int)number
                    : throw GensorException.BadInput($"profile file {source}: field '{field}' is not a whole number");
            }
            var profile = new HardwareProfile(
                name,
                architecture,
                Int("multiprocessors", closest.Multiprocessors),
                Int("warp_size", closest.WarpSize),
                Int("max_threads_per_block", closest.MaxThreadsPerBlock),
                Int("max_threads_per_multiprocessor", closest.MaxThreadsPerMultiprocessor),
                Int("max_blocks_per_multiprocessor", closest.MaxBlocksPerMultiprocessor),
                Int("registers_per_multiprocessor", closest.RegistersPerMultiprocessor),
                Int("max_registers_per_thread", closest.MaxRegistersPerThread),
                Int("shared_memory_per_block", closest.SharedMemoryPerBlock),
                Int("shared_memory_per_multiprocessor", closest.SharedMemoryPerMultiprocessor),
                (long)Number("l2_bytes", closest.L2Bytes),
                Number("dram_bandwidth_gbs", closest.DramBandwidthGBs),
                Number("peak_gflops", closest.PeakGflops),
                Int("shared_memory_banks", closest.SharedMemoryBanks),
                Int("transaction_bytes", closest.TransactionBytes));
            profile = profile with
            {
                ClockMhz = Number("clock_mhz", closest.ClockMhz),
                L2BandwidthGBs = Number("l2_bandwidth_gbs", closest.L2BandwidthGBs),
                MemoryLatencyNs = Number("memory_latency_ns", closest.MemoryLatencyNs),
                DramEfficiency = Number("dram_efficiency", closest.DramEfficiency),
                IssueEfficiency = Number("issue_efficiency", closest.IssueEfficiency),
                BarrierNs = Number("barrier_ns", closest.BarrierNs),
                LaunchMicroseconds = Number("launch_us", closest.LaunchMicroseconds),
                TensorGflopsF16 = TensorPeak("tensor_gflops_f16", closest.TensorGflopsF16),
                TensorGflopsBF16 = TensorPeak("tensor_gflops_bf16", closest.TensorGflopsBF16),
                TensorGflopsTf32 = TensorPeak("tensor_gflops_tf32", closest.TensorGflopsTf32),
                MinThreadsPerBlock = MinThreads(closest.MinThreadsPerBlock),
                OverlapLoss = Share("overlap_loss", closest.OverlapLoss),
                OccupancyGoalThreads = Int("occupancy_goal_threads", closest.OccupancyGoalThreads),
                ThreadSyncNs = Number("thread_sync_ns", closest.ThreadSyncNs),
                MaxUnrolledUpdates = Int("max_unrolled_updates", closest.MaxUnrolledUpdates),
            };
            bool Flag(string field, bool fallback) => !root.TryGetProperty(field, out var value) ? fallback : value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw GensorException.BadInput($"profile file {source}: field '{field}' is not true or false"),
            };
            Validate(profile, source);
            return profile with
            {
                EstimatedFields = estimated.Distinct().ToArray(),
                Simulated = Flag("simulated", closest.Simulated),
                WarpShuffles = Flag("warp_shuffles", closest.WarpShuffles),
                AsyncCopyInstructions = Flag("async_copies", closest.AsyncCopyInstructions),
            };
        }
    }

    /// <summary>The profile as a JSON object with snake_case keys, readable by <see cref="FromJson"/>.</summary>
    public static string ToJson(HardwareProfile profile)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", profile.Name);
            writer.WriteString("architecture", profile.Architecture);
            writer.WriteNumber("multiprocessors", profile.Multiprocessors);
            writer.WriteNumber("warp_size", profile.WarpSize);
            writer.WriteNumber("max_threads_per_block", profile.MaxThreadsPerBlock);
            writer.WriteNumber("max_threads_per_multiprocessor", profile.MaxThreadsPerMultiprocessor);
            writer.WriteNumber("max_blocks_per_multiprocessor", profile.MaxBlocksPerMultiprocessor);
            writer.WriteNumber("registers_per_multiprocessor", profile.RegistersPerMultiprocessor);
            writer.WriteNumber("max_registers_per_thread", profile.MaxRegistersPerThread);
            writer.WriteNumber("shared_memory_per_block", profile.SharedMemoryPerBlock);
            writer.WriteNumber("shared_memory_per_multiprocessor", profile.SharedMemoryPerMultiprocessor);
            writer.WriteNumber("l2_bytes", profile.L2Bytes);
            writer.WriteNumber("dram_bandwidth_gbs", profile.DramBandwidthGBs);
            writer.WriteNumber("peak_gflops", profile.PeakGflops);
            writer.WriteNumber("shared_memory_banks", profile.SharedMemoryBanks);
            writer.WriteNumber("transaction_bytes", profile.TransactionBytes);
            writer.WriteNumber("clock_mhz", profile.ClockMhz);
            writer.WriteNumber("l2_bandwidth_gbs", profile.EffectiveL2BandwidthGBs);
            writer.WriteNumber("memory_latency_ns", profile.MemoryLatencyNs);
            writer.WriteNumber("dram_efficiency", profile.DramEfficiency);
            writer.WriteNumber("issue_efficiency", profile.IssueEfficiency);
            writer.WriteNumber("barrier_ns", profile.BarrierNs);
            writer.WriteNumber("launch_us", profile.LaunchMicroseconds);
            writer.WriteNumber("overlap_loss", profile.OverlapLoss);
            writer.WriteNumber("tensor_gflops_f16", profile.TensorGflopsF16);
            writer.WriteNumber("tensor_gflops_bf16", profile.TensorGflopsBF16);
            writer.WriteNumber("tensor_gflops_tf32", profile.TensorGflopsTf32);
            writer.WriteNumber("occupancy_goal_threads", profile.OccupancyGoalThreads);
            writer.WriteNumber("min_threads_per_block", profile.MinThreadsPerBlock);
            writer.WriteNumber("thread_sync_ns", profile.ThreadSyncNs);
            writer.WriteNumber("max_unrolled_updates", profile.MaxUnrolledUpdates);
            writer.WriteBoolean("warp_shuffles", profile.WarpShuffles);
            writer.WriteBoolean("async_copies", profile.AsyncCopyInstructions);
            writer.WriteBoolean("simulated", profile.Simulated);
            writer.WriteStartArray("estimated_fields");
            foreach (var field in profile.EstimatedFields)
            {
                writer.WriteStringValue(field);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Writes <paramref name="profile"/> to <paramref name="path"/> as JSON.</summary>
    public static void WriteFile(HardwareProfile profile, string path) => File.WriteAllText(path, ToJson(profile));

    /// <summary>
    /// The rules between figures, which no figure alone can break: a block fits
    /// on a multiprocessor, holds at least one warp, and a thread's registers fit
    /// in a multiprocessor's. Figures filled in from a built-in profile count
    /// too, so a file that sets one figure is checked against the rest.
    /// </summary>
    private static void Validate(HardwareProfile p, string source)
    {
        string? problem =
            p.SharedMemoryPerBlock > p.SharedMemoryPerMultiprocessor
                ? $"shared_memory_per_block ({p.SharedMemoryPerBlock}) exceeds shared_memory_per_multiprocessor ({p.SharedMemoryPerMultiprocessor})"
            : p.MaxThreadsPerBlock < p.WarpSize
                ? $"max_threads_per_block ({p.MaxThreadsPerBlock}) is less than one warp (warp_size {p.WarpSize})"
            : p.MinThreadsPerBlock > p.MaxThreadsPerBlock
                ? $"min_threads_per_block ({p.MinThreadsPerBlock}) exceeds max_threads_per_block ({p.MaxThreadsPerBlock})"
            : p.MaxThreadsPerBlock > p.MaxThreadsPerMultiprocessor
                ? $"max_threads_per_block ({p.MaxThreadsPerBlock}) exceeds max_threads_per_multiprocessor ({p.MaxThreadsPerMultiprocessor})"
            : p.MaxRegistersPerThread > p.RegistersPerMultiprocessor
                ? $"max_registers_per_thread ({p.MaxRegistersPerThread}) exceeds registers_per_multiprocessor ({p.RegistersPerMultiprocessor})"
            : null;
        if (problem is not null)
        {
            throw GensorException.BadInput($"profile file {source}: {problem}");
        }
    }

    private static string RequiredString(JsonElement root, string field, string source)
    {
        if (!(root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text))
        {
            throw GensorException.BadInput($"profile file {source}: field '{field}' is missing or not a string");
        }
        // Names are printed in tables and reports, one per line.
        Printable.CheckName(text, $"profile file {source}: field '{field}'");
        return text;
    }

    private static int? ComputeCapability(string architecture) =>
        architecture.StartsWith("sm_", StringComparison.OrdinalIgnoreCase)
        && int.TryParse(architecture.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var capability)
            ? capability
            : null;
}
