using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Construction.Cost;
using Gensor.Construction.Feedback;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Diagnostics;
using Gensor.Tuning;
using Gensor.Tuning.Calibration;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;

namespace Gensor.Cli.Commands;

/// <summary>
/// <c>gensor explain SPEC</c>: the parsed ETIR, and with <c>--policy</c> or
/// <c>--target</c> the candidates a policy constructs (no device is used to
/// run anything). With <c>--records</c>, how the profile's estimates rank the
/// operator's measured records on each device (Spearman's rank correlation).
/// </summary>
internal static class ExplainCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var spec = new SpecInput();
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var target = CommonOptions.Target();
        var policy = new Option<string?>("--policy") { Description = "Also construct with this policy: gensor, roller, exhaustive or naive." };
        var seed = CommonOptions.Seed();
        var topK = CommonOptions.TopK();
        var allowTf32 = CommonOptions.AllowTf32();
        var compilerCheck = CommonOptions.CompilerCheck();
        var records = new Option<string?>("--records") { Description = "A records file: report how the profile's estimates rank this operator's measured records, per device (Spearman)." };
        var schedule = CommonOptions.Schedule("Estimate only this schedule (instead of a policy's candidates)");
        var command = new Command("explain",
            "Print the parsed operator (ETIR) and, with --policy/--target, the candidates the policy constructs and the cost model's estimates. " +
            "Nothing is measured: the times are the model's, not a device's. For an NVIDIA profile the leading candidates go through ptxas (--compiler-check), " +
            "which drops spilling kernels and gives their real registers. With --schedule, the estimate and breakdown of that one schedule.");
        spec.AddTo(command);
        foreach (var option in new Option[] { format, verbose, target, policy, schedule, seed, topK, compilerCheck, records, allowTf32 })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var k = CommonOptions.ParseTopK(parse.GetValue(topK));
                var checkMode = CompilerChecks.Validate(parse.GetValue(compilerCheck)!);
                var policyName = parse.GetValue(policy);
                var targetName = parse.GetValue(target);
                var recordsPath = parse.GetValue(records);
                if (recordsPath is not null && !File.Exists(recordsPath))
                {
                    throw GensorException.BadInput($"{recordsPath}: no such file");
                }
                var given = CommonOptions.ParseSchedule(parse.GetValue(schedule));
                if (given is not null && policyName is not null)
                {
                    throw GensorException.BadInput("--schedule explains one schedule and --policy constructs candidates: give one of them");
                }
                var chosenPolicy = policyName is not null || targetName is not null || recordsPath is not null || given is not null
                    ? PolicyCatalog.Get(policyName ?? "gensor", parse.GetValue(allowTf32))
                    : null;
                var op = spec.Read(parse, cli);
                var document = EtirJson.Operator(op);
                ConstructionResult? construction = null;
                HardwareProfile? profile = null;
                if (chosenPolicy is not null)
                {
                    profile = targetName is not null ? ProfileCatalog.Get(targetName) : OwnProfile();
                    using var logs = cli.CreateLoggerFactory();
                    var compiler = CompilerChecks.For(checkMode, profile, logs.CreateLogger("gensor"));
                    if (given is not null)
                    {
                        construction = GivenSchedule.Construct(op, given, profile, compiler, parse.GetValue(allowTf32));
                    }
                    else
                    {
                        var constructing = compiler is null ? chosenPolicy : new CompilerCheckedPolicy(chosenPolicy, compiler);
                        construction = constructing.Construct(op, profile, new ConstructionOptions(k, parse.GetValue(seed)));
                    }
                    document["target"] = profile.Name;
                    document["policy"] = construction.Policy;
                    document["states_visited"] = construction.StatesVisited;
                    document["construct_ms"] = Math.Round(construction.ConstructMs, 3);
                    document["compiler_check"] = construction.Check is { } check ? CompilerCheckJson.Summary(check) : null;
                    document["candidates"] = new JsonArray(construction.Candidates.Take(k).Select(c =>
                    {
                        var illegal = Legality.Check(op, c.Schedule, profile);
                        return (JsonNode)new JsonObject
                        {
                            ["schedule"] = EtirJson.Schedule(c.Schedule),
                            ["estimated_ms"] = double.IsFinite(c.EstimatedMs) ? Math.Round(c.EstimatedMs, 6) : null,
                            ["legal"] = illegal is null,
                            ["illegal_because"] = illegal,
                            ["compiled"] = c.Compiled is { } compiled ? CompilerCheckJson.Kernel(compiled) : null,
                            ["breakdown"] = illegal is null ? CostJson.Of(op, c.Schedule, profile, c.Compiled?.Registers) : null,
                        };
                    }).ToArray());
                    if (construction.Candidates.Count == 0)
                    {
                        // As the text says: no candidate, and the profile's limit the simplest schedule meets.
                        document["no_candidate_because"] = NoCandidateReason(op, profile);
                    }
                }
                IReadOnlyList<DeviceFit>? fits = null;
                if (recordsPath is not null)
                {
                    using var logs = cli.CreateLoggerFactory();
                    fits = DeviceFit.Of(RecordReader.Read(recordsPath, logs.CreateLogger("gensor")), op, profile!);
                    document["records"] = new JsonObject
                    {
                        ["file"] = recordsPath,
                        ["devices"] = new JsonArray(fits.Select(f => (JsonNode)new JsonObject
                        {
                            ["device"] = f.Device,
                            ["records"] = f.Count,
                            ["spearman"] = f.Spearman,
                            ["median_abs_log_error"] = f.MedianAbsLogError,
                            ["first_choice_over_fastest"] = JsonNumber.Finite(f.FirstChoiceOverBest),
                            ["other_builds"] = f.OtherBuilds,
                        }).ToArray()),
                    };
                }
                if (json)
                {
                    cli.Output.WriteLine(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    return 0;
                }
                OperatorText.WriteExplain(cli.Output, op);
                if (construction is not null)
                {
                    cli.Output.WriteLine($"target:    {profile!.Name}");
                    cli.Output.WriteLine($"policy:    {construction.Policy}, {NumberText.Count(construction.StatesVisited, "state")} visited in {construction.ConstructMs.ToString("F1", CultureInfo.InvariantCulture)} ms");
                    cli.Output.WriteLine(given is null
                        ? "candidates (best first by the cost model; estimates, nothing was measured):"
                        : "schedule (given with --schedule; the cost model's estimate, nothing was measured):");
                    if (construction.Candidates.Count == 0)
                    {
                        // Say why rather than print an empty list: the simplest schedule's reason is the profile's limit.
                        cli.Output.WriteLine($"  none: {NoCandidateReason(op, profile)}");
                    }
                    var rank = 1;
                    foreach (var candidate in construction.Candidates.Take(k))
                    {
                        // A policy may hand back a schedule the target cannot run (naive and roller do not all check); say so.
                        var illegal = Legality.Check(op, candidate.Schedule, profile) is { } reason ? $"  (illegal on {profile.Name}: {reason})" : "";
                        var registers = candidate.Compiled is { } compiled
                            ? $"  [{compiled.Registers} registers by ptxas{(compiled.Spills ? $", spills {compiled.SpillStoreBytes} B stored, {compiled.SpillLoadBytes} B loaded" : "")}]"
                            : "";
                        cli.Output.WriteLine($"  {rank++,2}  {NumberText.Estimate(candidate.EstimatedMs),10} ms  {candidate.Schedule}{registers}{illegal}");
                    }
                    if (construction.Check is { } check)
                    {
                        // A given schedule is never dropped or re-ranked: say only what the compiler did with it.
                        cli.Output.WriteLine(given is null
                            ? $"compiler:  {CompilerCheckJson.Describe(check)}"
                            : $"compiler:  {check.Tool ?? "the compiler"} in {(check.Milliseconds / 1000).ToString("F1", CultureInfo.InvariantCulture)} s"
                                + (check.Kernels[0].Error is { } error ? $": not read back ({error}); the model's register estimate stands" : ": the estimate uses its real registers"));
                    }
                    if (construction.Candidates.Count > 0 && Legality.Check(op, construction.Candidates[0].Schedule, profile) is null)
                    {
                        var first = construction.Candidates[0];
                        var what = given is null ? "the first candidate" : "the schedule";
                        if (CostModel.TensorCoreTerms(op, first.Schedule, profile, first.Compiled?.Registers) is { } terms)
                        {
                            WriteTensorCoreBreakdown(cli.Output, what, terms, profile.Multiprocessors);
                        }
                        else
                        {
                            WriteBreakdown(cli.Output, what, CostModel.Breakdown(op, first.Schedule, profile, first.Compiled?.Registers), profile.Multiprocessors);
                        }
                    }
                }
                if (fits is not null)
                {
                    WriteFits(cli.Output, recordsPath!, profile!, fits);
                }
                return 0;
            });
        });
        return command;
    }

    /// <summary>A candidate's estimate, effect by effect, as the cost model sees it.</summary>
    private static void WriteBreakdown(TextWriter output, string what, CostBreakdown b, int multiprocessors)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"estimate of {what} (under the model; nothing is measured):");
        output.WriteLine(string.Format(c, "  bounds       multiprocessor {0:G3} ms, DRAM {1:G3} ms, L2 {2:G3} ms; plus their overlap loss {3:G3} ms, launch {4:G3} ms", b.MultiprocessorMs, b.DramMs, b.L2Ms, b.OverlapMs, b.LaunchMs));
        WriteResidency(output, b.Occupancy.BlocksPerMultiprocessor, b.Occupancy.ThreadsPerMultiprocessor, b.Occupancy.RegistersPerThread,
            b.Occupancy.SharedBytesPerBlock, b.Occupancy.Limiter, b.Blocks, b.Waves, multiprocessors);
        // The reachable share counts the busy SMs only: 16 blocks on 132 SMs reach a tenth however much each has in flight.
        output.WriteLine(string.Format(c, "  memory       {0:G3} of {1:G3} bytes in flight per SM needed: {2:P0} of DRAM bandwidth reachable",
            b.MemoryParallelism.BytesInFlightPerMultiprocessor, b.MemoryParallelism.BytesNeededPerMultiprocessor, b.MemoryParallelism.AchievedFraction)
            + (b.Waves.ActiveMultiprocessors < multiprocessors ? string.Format(c, " by {0} busy SMs", b.Waves.ActiveMultiprocessors) : "")
            + (b.MemoryParallelism.CopyWaitMs > 0 ? string.Format(c, "; single-buffered copies wait {0:G3} ms unhidden", b.MemoryParallelism.CopyWaitMs) : ""));
        output.WriteLine(string.Format(c, "  shared/L1    {0:G3} passes per warp and stage, conflict factor {1:G3}", b.SharedMemory.PassesPerStage, b.SharedMemory.ConflictFactor));
        output.WriteLine(string.Format(c, "  issue        {0:G3} instructions per thread and stage, {1:P0} multiply-adds", b.Issue.InstructionsPerStage, b.Issue.FmaFraction));
        WriteL2Reuse(output, b.L2Reuse);
        if (b.Reduction.ReduceThreads > 1)
        {
            output.WriteLine(string.Format(c, "  reduction    {0} threads per output, {1:G3} instructions per thread to combine them", b.Reduction.ReduceThreads, b.Reduction.InstructionsPerThread));
        }
        if (b.Reduction.SplitBlocks > 1)
        {
            output.WriteLine(string.Format(c, "  split        {0} blocks per tile add partial sums atomically: {1:G3} bytes through L2, the output cleared first", b.Reduction.SplitBlocks, b.Reduction.AtomicBytes));
        }
    }

    /// <summary>A tensor-core candidate's estimate, term by term, as <see cref="TensorCoreCost"/> sees it.</summary>
    private static void WriteTensorCoreBreakdown(TextWriter output, string what, TensorCoreBreakdown b, int multiprocessors)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"estimate of {what} (the tensor-core model; nothing is measured):");
        output.WriteLine(b.Pipelined
            ? string.Format(c, "  bounds       tensor cores {0:G3} ms, shared memory {1:G3} ms, L2 {2:G3} ms, DRAM {3:G3} ms, latency {4:G3} ms (pipelined stages); plus their overlap loss {5:G3} ms, barriers {6:G3} ms, launch {7:G3} ms",
                b.TensorCoreMs, b.SharedMemoryMs, b.L2Ms, b.DramMs, b.LatencyMs, b.OverlapMs, b.BarrierMs, b.LaunchMs)
            : string.Format(c, "  bounds       tensor cores {0:G3} ms, shared memory {1:G3} ms, L2 {2:G3} ms, DRAM {3:G3} ms; plus their overlap loss {4:G3} ms, the stages' copy wait {5:G3} ms (single-buffered), barriers {6:G3} ms, launch {7:G3} ms",
                b.TensorCoreMs, b.SharedMemoryMs, b.L2Ms, b.DramMs, b.OverlapMs, b.CopyWaitMs, b.BarrierMs, b.LaunchMs));
        WriteResidency(output, b.Occupancy.BlocksPerMultiprocessor, b.Occupancy.ThreadsPerMultiprocessor, b.Occupancy.RegistersPerThread,
            b.Occupancy.SharedBytesPerBlock, b.Occupancy.Limiter, b.Blocks, b.Waves, multiprocessors);
        output.WriteLine(string.Format(c, "  tensor cores {0:G3} flops at {1:P0} of {2:#,0.##} GFLOP/s, {3} MMAs per warp and stage",
            b.TensorCore.Flops, b.TensorCore.Efficiency, b.TensorCore.PeakGflops, b.TensorCore.MmasPerWarpStage));
        output.WriteLine(string.Format(c, "  shared       {0} fragment and {1} copy words per block and stage, conflict factor {2:G3}, {3:G3} bytes in all",
            b.SharedMemory.FragmentWordsPerStage, b.SharedMemory.CopyWordsPerStage, b.SharedMemory.ConflictFactor, b.SharedMemory.Bytes));
        WriteL2Reuse(output, b.L2Reuse);
        if (b.ThreadSyncMs > 0)
        {
            output.WriteLine(string.Format(c, "  thread wakes {0:G3} per block (barriers and the emulated MMA's shuffles): {1:G3} ms", b.ThreadWakesPerBlock, b.ThreadSyncMs));
        }
    }

    /// <summary>The occupancy and waves lines, as both models give them.</summary>
    private static void WriteResidency(TextWriter output, int blocksPerSm, int threadsPerSm, int registers, long sharedBytes, string limiter, long blocks, WavesTerm waves, int multiprocessors)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(c, "  occupancy    {0} = {1} threads per SM ({2} registers, {3} B shared per block; limited by {4})",
            NumberText.Count(blocksPerSm, "block"), threadsPerSm, registers, sharedBytes, limiter));
        output.WriteLine(string.Format(c, "  waves        {0} in {1} on the busiest SM{2}, tail efficiency {3:P0}",
            NumberText.Count(blocks, "block"), NumberText.Count(waves.Rounds, "round"),
            waves.ActiveMultiprocessors < multiprocessors ? string.Format(c, " ({0} of {1} SMs busy)", waves.ActiveMultiprocessors, multiprocessors) : "",
            waves.TailEfficiency));
    }

    private static void WriteL2Reuse(TextWriter output, L2ReuseTerm l2) =>
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "  L2 reuse     {0:G3} bytes from DRAM, {1:G3} from L2 ({2:G3}x)", l2.DramBytes, l2.L2Bytes, l2.ReuseFactor));

    /// <summary>How the profile's estimates rank the operator's measured records, per device.</summary>
    private static void WriteFits(TextWriter output, string path, HardwareProfile profile, IReadOnlyList<DeviceFit> fits)
    {
        if (fits.Count == 0)
        {
            output.WriteLine($"records:   {path}: no verified, timed record of this operator");
            return;
        }
        output.WriteLine($"records:   {path}: estimates under {profile.Name} against measured times of verified records, per device");
        output.WriteLine($"  {"device",-32} {"records",7} {"spearman",9} {"median |log err|",17} {"first/fastest",14}");
        foreach (var f in fits)
        {
            var spearman = f.Spearman is { } r ? r.ToString("F3", CultureInfo.InvariantCulture) : "-";
            output.WriteLine($"  {f.Device,-32} {f.Count,7} {spearman,9} {f.MedianAbsLogError.ToString("F3", CultureInfo.InvariantCulture),17} {f.FirstChoiceOverBest.ToString("F3", CultureInfo.InvariantCulture),14}");
        }
        var other = fits.Sum(f => f.OtherBuilds);
        if (other > 0)
        {
            output.WriteLine($"  {other} of the records were measured by another build of gensor: {CalibrationSet.OtherBuildsCaution}");
        }
    }

    private static HardwareProfile OwnProfile()
    {
        using var device = KernelDevice.Open(DeviceKind.Auto);
        return DeviceProfiles.Of(device);
    }

    /// <summary>Why a construction gave no candidate: no schedule the policy reached is legal, and the simplest one's reason.</summary>
    private static string NoCandidateReason(Operator op, HardwareProfile profile) =>
        Legality.Check(op, NaivePolicy.ScheduleFor(op, profile), profile) is { } reason
            ? $"no schedule the policy reached is legal on {profile.Name} (the simplest: {reason})"
            : $"no schedule the policy reached is legal on {profile.Name}";
}
