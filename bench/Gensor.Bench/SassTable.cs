using System.Diagnostics;
using System.Globalization;
using Gensor.Backend.Inspection;
using Gensor.Feedback;
using Gensor.Construction.Feedback;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench sass</c>: for every operator of the suites (or spec files), the
/// kernel a policy chooses for a profile, assembled by ptxas and read back in SASS;
/// a Markdown table of what the GPU would run and issue 9's criteria.
/// Usage: <c>sass [--profile h100] [--policy gensor] [--seed 0] [--issue] [[--shape a=N,...] SUITE|SPEC]...</c>.
/// <c>--shape</c> rescales the operators of the file that follows it; <c>--issue</c> adds
/// the five operators of issue 9's own table. With no file and no <c>--issue</c>, the bench suites.
/// </summary>
internal static class SassTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    /// <summary>Issue 9's table, as specs: GEMM 4096³, GEMM 1024×3072×1024, GEMV 4096×4096, conv 3×3 256→256 at 14×14, depthwise 3×3 over 512 channels.</summary>
    private const string IssueOperators = """
        [
          {"name": "gemm_4096", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 4096, "n": 4096, "k": 4096}},
          {"name": "gemm_1024x3072x1024", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 1024, "n": 3072, "k": 1024}},
          {"name": "gemv_4096", "compute": "y[i] += A[i,j] * x[j]", "shape": {"i": 4096, "j": 4096}},
          {"name": "conv3x3_256_14", "compute": "O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]",
           "shape": {"b": 1, "f": 256, "y": 14, "x": 14, "c": 256, "r": 3, "s": 3}, "tensors": {"I": [1, 256, 14, 14]}},
          {"name": "depthwise3x3_512_14", "compute": "O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]",
           "shape": {"n": 1, "c": 512, "y": 14, "x": 14, "r": 3, "s": 3}, "tensors": {"I": [1, 512, 14, 14]}}
        ]
        """;

    public static int Run(string[] args)
    {
        var profileName = "h100";
        var policyName = "gensor";
        var seed = 0;
        var groups = new List<(string Title, Func<IReadOnlyList<OperatorSpec>> Specs)>();
        string? shape = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--profile": profileName = args[++i]; break;
                    case "--policy": policyName = args[++i]; break;
                    case "--seed": seed = int.Parse(args[++i], _invariant); break;
                    case "--shape": shape = args[++i]; break;
                    case "--issue": groups.Add(("issue 9's table", () => SpecReader.Read(IssueOperators, "issue 9"))); break;
                    case var option when option.StartsWith("--", StringComparison.Ordinal):
                        throw GensorException.BadInput($"unknown option '{option}'");
                    default:
                        var file = args[i];
                        var scale = shape;
                        shape = null;
                        groups.Add((scale is null ? file : $"{file} with {scale}", () => Load(file, scale)));
                        break;
                }
            }
            if (groups.Count == 0)
            {
                groups.AddRange(SuiteFiles.Defaults.Select(name => (name, (Func<IReadOnlyList<OperatorSpec>>)(() => Load(name, null)))));
            }
            var profile = SuiteArguments.NvidiaProfile(profileName);
            var policy = PolicyCatalog.Get(policyName);
            if (SuiteArguments.NvidiaToolsOrReport() is not { } tools)
            {
                return 1;
            }
            var loaded = groups.Select(g => (g.Title, Operators: g.Specs().Select(OperatorBuilder.Build).ToArray())).ToArray();
            Print(loaded, profile, policy, seed, tools, args);
            return 0;
        }
        catch (GensorException error)
        {
            Console.Error.WriteLine(error.Error);
            return error.Error.ExitCode;
        }
        catch (Exception error) when (error is IndexOutOfRangeException or FormatException)
        {
            Console.Error.WriteLine($"error: bad arguments ({error.Message}); usage: sass [--profile P] [--policy P] [--seed N] [--issue] [[--shape a=N,...] SUITE|SPEC]...");
            return 2;
        }
    }

    /// <summary>A suite by name (samples/suites) or a spec or suite file, rescaled by <paramref name="shape"/> when given.</summary>
    private static IReadOnlyList<OperatorSpec> Load(string nameOrPath, string? shape)
    {
        var path = File.Exists(nameOrPath) ? nameOrPath : SuiteFiles.PathOf(nameOrPath);
        var specs = SpecReader.ReadFile(path);
        if (shape is null)
        {
            return specs;
        }
        var extents = SpecReader.FromInline("x[i] = y[i]", shape, null, null).Shape;
        return [.. specs.Select(spec => spec.Tensors.Count > 0
            ? throw GensorException.BadInput($"{path}: {spec.Name} gives tensor shapes, which --shape would not rescale; write a spec file instead")
            : spec with { Shape = spec.Shape.Keys.Union(extents.Keys).ToDictionary(k => k, k => extents.TryGetValue(k, out var e) ? e : spec.Shape[k]) })];
    }

    private static void Print((string Title, Operator[] Operators)[] groups, HardwareProfile profile, ISchedulePolicy policy, int seed, NvidiaTools tools, string[] args)
    {
        Console.WriteLine($"# SASS of {policy.Name}'s kernels for {profile.Name} ({profile.Architecture})");
        Console.WriteLine();
        Console.WriteLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(Commit() is { } commit ? $" at commit {commit}" : "")} by `dotnet run -c Release --project bench/Gensor.Bench -- sass {string.Join(' ', args)}`.");
        Console.WriteLine($"For each operator: the {policy.Name} policy's first choice for {profile.Name} (seed {seed}) after the compiler check that emit and tune make "
            + $"(its {CompilerCheckedPolicy.DefaultChecked} leading candidates through ptxas, spilling ones dropped, the rest ranked with their real registers), lowered to C#, compiled to PTX by ILGPU, "
            + $"assembled by ptxas {tools.Release.ToString(2)} ({tools.Origin}) with `-arch={profile.Architecture} -v` and read back with `cuobjdump -sass`. "
            + "Instruction counts are static (each instruction once, however often it runs); generic loads and stores (LD, ST: ILGPU's O1 leaves kernel parameters generic) count as LDG and STG, "
            + "and the code ptxas adds after a generic atomic for shared and local addresses (split-K's partial sums; a parameter is global, so it never runs) is left out of every count. "
            + "Resident threads follow NVIDIA's occupancy calculation "
            + $"for the registers and shared memory ptxas reports, on {profile.Multiprocessors} SMs. No kernel ran: these are compiler figures, not GPU times. "
            + $"The read-back times are wall times on this machine ({Environment.ProcessorCount} cores), shared with other work while it ran.");
        Console.WriteLine();
        Console.WriteLine("kind: `conv` when an index combines axes (a window or a stride), `gemv` when one input spans every output axis longer than 1 (nothing of it is reused), "
            + "`gemm` for the other products of two inputs (1×1 convolutions included).");
        Console.WriteLine();
        Console.WriteLine(MainLoopLegend);
        Console.WriteLine();
        Console.WriteLine(SassCriteria.Legend);
        var feedback = new NvidiaCompilerFeedback(tools, parallelism: 1);
        var check = new NvidiaCompilerFeedback(tools, disassemble: false);
        var allKernels = 0;
        var allPassed = 0;
        var total = Stopwatch.StartNew();
        foreach (var (title, operators) in groups)
        {
            Console.WriteLine();
            Console.WriteLine($"## {title}");
            Console.WriteLine();
            Console.WriteLine("| # | operator | kind | grid × group | regs | spills B st/ld | threads/SM resident (limit) | FFMA | LDS (.128) | LDG (.128) | IMAD | SHFL | FFMA/(LDS+LDG) | main loop: instr (FMA %) | model FMA % | code KB | read ms | check |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            var failures = new Dictionary<string, int>();
            int passed = 0, kernels = 0;
            double ptxMs = 0, ptxasMs = 0, cuobjdumpMs = 0;
            var ratios = new List<double>();
            var fmaGaps = new List<(double Gap, string Operator)>();
            for (var i = 0; i < operators.Length; i++)
            {
                var op = operators[i];
                var kind = KernelKind.Of(op);
                // As emit and tune choose: the policy's leading candidates through ptxas first (spills dropped, real registers).
                var construction = new CompilerCheckedPolicy(policy, check).Construct(op, profile, new ConstructionOptions(1, seed));
                if (construction.Candidates.Count == 0)
                {
                    Console.WriteLine($"| {i + 1} | {op.Name} | {kind} | - | | | | | | | | | | | | | no schedule |");
                    continue;
                }
                var result = feedback.Inspect(op, [construction.Candidates[0].Schedule], profile)[0];
                if (result.Resources is not { Occupancy: { } o } r)
                {
                    Console.WriteLine($"| {i + 1} | {op.Name} | {kind} | - | | | | | | | | | | | | | {result.Error} |");
                    continue;
                }
                var m = r.Instructions!;
                var failed = SassCriteria.Failures(op, kind, r);
                kernels++;
                (ptxMs, ptxasMs, cuobjdumpMs) = (ptxMs + r.Timings.PtxMs, ptxasMs + r.Timings.AssembleMs, cuobjdumpMs + r.Timings.DisassembleMs);
                if (failed.Count == 0)
                {
                    passed++;
                }
                foreach (var code in failed)
                {
                    failures[code] = failures.GetValueOrDefault(code) + 1;
                }
                if (m.FfmaPerLoad is { } ratio && ratio > 0)
                {
                    ratios.Add(ratio);
                }
                var modelFma = CostModel.Breakdown(op, construction.Candidates[0].Schedule, profile).Issue.FmaFraction;
                if (m.MainLoop is { } loop)
                {
                    fmaGaps.Add((modelFma - loop.MathShare, op.Name));
                }
                Console.WriteLine(string.Create(_invariant,
                    $"| {i + 1} | {op.Name} | {kind} | {o.GridSize} × {o.GroupSize} | {r.Registers} | {r.SpillStoreBytes}/{r.SpillLoadBytes} | {o.ResidentThreads} ({o.LimitedBy}) | {m.Ffma} | {m.Lds} ({m.Lds128}) | {m.Ldg} ({m.Ldg128}) | {m.Imad} | {m.Shfl} | {Ratio(m.FfmaPerLoad)} | {Loop(m.MainLoop)} | {modelFma * 100:F0} | {m.CodeBytes / 1024.0:F1} | {r.Timings.TotalMs:F0} | {(failed.Count == 0 ? "ok" : string.Join(", ", failed))} |"));
            }
            Console.WriteLine();
            var failing = failures.Count == 0 ? "none" : string.Join(", ", failures.OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}"));
            Console.WriteLine(string.Create(_invariant,
                $"Summary: {passed} of {kernels} kernels meet every criterion; failed: {failing}; FFMA/(LDS+LDG) geometric mean {(ratios.Count > 0 ? Math.Exp(ratios.Average(Math.Log)).ToString("F2", _invariant) : "-")}; read back in {(ptxMs + ptxasMs + cuobjdumpMs) / 1000:F1} s, per kernel {Mean(ptxMs, kernels):F0} ms to PTX (Roslyn and ILGPU), {Mean(ptxasMs, kernels):F0} ms in ptxas, {Mean(cuobjdumpMs, kernels):F0} ms in cuobjdump."));
            if (fmaGaps.Count > 0)
            {
                var widest = fmaGaps.MaxBy(g => Math.Abs(g.Gap));
                Console.WriteLine(string.Create(_invariant,
                    $"The model's multiply-add share of a stage against the main loop's, over the {fmaGaps.Count} kernels with one: {fmaGaps.Average(g => Math.Abs(g.Gap)) * 100:F1} points apart in mean, {fmaGaps.Average(g => g.Gap) * 100:+0.0;-0.0} with sign (+: the model counts fewer other instructions), widest {widest.Gap * 100:+0;-0} ({widest.Operator})."));
            }
            allKernels += kernels;
            allPassed += passed;
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(_invariant, $"Overall: {allPassed} of {allKernels} kernels meet every criterion; wall time {total.Elapsed.TotalSeconds:F0} s."));
    }

    private static double Mean(double total, int count) => count == 0 ? 0 : total / count;

    /// <summary>The repository's commit, for the table's header; null outside a git checkout.</summary>
    internal static string? Commit()
    {
        try
        {
            var info = new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var git = Process.Start(info)!;
            var head = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            if (git.ExitCode != 0 || head.Length == 0)
            {
                return null;
            }
            // A table made from a working tree whose sources differ from HEAD says so: it is not HEAD's.
            using var diff = Process.Start(new ProcessStartInfo("git", "diff --quiet HEAD -- src") { RedirectStandardError = true, UseShellExecute = false })!;
            diff.WaitForExit();
            return diff.ExitCode == 0 ? head : head + " with uncommitted changes to src";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("F1", _invariant) : "-";

    private const string MainLoopLegend = "main loop: of the innermost loops (a backward branch with no other inside), the one with the most multiply-adds: "
        + "its instructions and the multiply-adds' share of them (`-`: no loop with a multiply-add, e.g. a stage unrolled whole); the rest is addresses, loads and loop control. "
        + "model FMA %: the cost model's share of multiply-adds in a stage's instructions (its issue term), to set against the main loop's.";

    private static string Loop(Gensor.Feedback.LoopMix? loop) =>
        loop is null ? "-" : string.Create(_invariant, $"{loop.Instructions} ({loop.MathShare * 100:F0})");
}
