using System.Globalization;
using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Hardware;

namespace Gensor.Bench;

/// <summary>
/// <c>Gensor.Bench tc-registers</c>: the tensor-core tiling's register estimate
/// (<see cref="TensorCoreTiling.RegistersPerThread"/>) against ptxas, for every tiling of
/// <see cref="TensorCoreChoice"/>'s space that is legal apart from registers, on one matrix product per
/// operand type. What matters is where legality goes wrong: a kernel the estimate lets through that
/// spills or misses the register limits (<c>missed</c>), and one it rules out that ptxas fits (<c>lost</c>).
/// Usage: <c>tc-registers [--profile h100] [--shape m=4096,n=4096,k=4096] [--types f16,tf32] [--rows FILE]</c>
/// (types: f16, bf16, tf32); <c>--rows</c> writes every kernel as a tab-separated line for refitting.
/// </summary>
internal static class TensorCoreRegisterTable
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args) => SuiteArguments.Run(() =>
    {
        var arguments = SuiteArguments.Parse(args, "--profile", "--shape", "--types", "--rows");
        var profile = SuiteArguments.NvidiaProfile(arguments.Text("--profile", "h100"));
        var shape = arguments.Text("--shape", "m=4096,n=4096,k=4096");
        var types = arguments.Text("--types", "f16,tf32").Split(',');
        if (SuiteArguments.NvidiaToolsOrReport() is not { } tools)
        {
            return 1;
        }
        var feedback = new NvidiaCompilerFeedback(tools, Math.Max(1, Environment.ProcessorCount), disassemble: false);
        var rowsPath = arguments.Text("--rows", "");
        using var rows = rowsPath.Length > 0 ? new StreamWriter(rowsPath) : null;
        rows?.WriteLine(string.Join('\t', "type", "schedule", "ptxas_registers", "spill_bytes", "estimate", "accumulators", "fragment_words_per_kstep", "ksteps", "copy_words", "prefetch_registers"));

        Console.WriteLine($"# Tensor-core register estimate against ptxas for {profile.Name} ({profile.Architecture})");
        Console.WriteLine();
        Console.WriteLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(SassTable.Commit() is { } commit ? $" at commit {commit}" : "")} by "
            + $"`dotnet run -c Release --project bench/Gensor.Bench -- tc-registers {string.Join(' ', args)}`, ptxas {tools.Release.ToString(2)} ({tools.Origin}). "
            + $"Every tiling of the tensor-core space (blocks {string.Join("/", TensorCoreChoice.BlockSides)}, warp tiles {string.Join("/", TensorCoreChoice.WarpRows)} x "
            + $"{string.Join("/", TensorCoreChoice.WarpColumns)}, stages {string.Join("/", TensorCoreChoice.StageKs)}, single-buffered or pipelined) that is legal on {profile.Name} apart from its registers, "
            + $"compiled for C[m,n] += A[m,k] * B[k,n] at {shape}. `fit`: no spill and under {profile.MaxRegistersPerThread} registers; "
            + "`caught`: spilling or over the register limits (ptxas's count) and ruled out by the estimate; `missed`: the same but let through; "
            + "`lost`: ruled out by the estimate though ptxas's count is legal. Static compiler figures; nothing ran.");
        Console.WriteLine();
        Console.WriteLine("| type | kernels | fit | estimate / ptxas (fit): geometric mean | range | spill or over | caught | missed | lost |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var type in types)
        {
            var op = Product(type.Trim(), shape);
            var schedules = Tilings(op, profile).ToArray();
            int fit = 0, over = 0, caught = 0, missed = 0, lost = 0;
            double sumLog = 0, low = double.MaxValue, high = 0;
            foreach (var result in feedback.Inspect(op, schedules, profile))
            {
                if (result.Resources is not { } resources)
                {
                    Console.Error.WriteLine($"{type} {result.Schedule}: not compiled: {result.Error}");
                    continue;
                }
                var tiling = TensorCoreTiling.Of(op, result.Schedule).Tiling!;
                var estimate = tiling.RegistersPerThread;
                var allowed = Legality.Check(op, result.Schedule, profile) is null;
                var fits = !resources.Spills && Legality.CheckRegisters(op, result.Schedule, profile, resources.Registers) is null;
                rows?.WriteLine(string.Join('\t', type, result.Schedule, resources.Registers, resources.SpillStoreBytes + resources.SpillLoadBytes, estimate,
                    tiling.TilesM * tiling.TilesN * 4, (tiling.TilesM * 4) + (tiling.TilesN * 2), tiling.StageK / tiling.StepK, tiling.CopyWordsA + tiling.CopyWordsB, tiling.PrefetchRegisters));
                if (!resources.Spills && resources.Registers < profile.MaxRegistersPerThread)
                {
                    fit++;
                    var ratio = estimate / (double)resources.Registers;
                    sumLog += Math.Log(ratio);
                    (low, high) = (Math.Min(low, ratio), Math.Max(high, ratio));
                }
                if (!fits)
                {
                    over++;
                    caught += allowed ? 0 : 1;
                    missed += allowed ? 1 : 0;
                }
                else if (!allowed)
                {
                    lost++;
                }
            }
            Console.WriteLine(string.Create(_invariant,
                $"| {type} | {schedules.Length} | {fit} | {(fit > 0 ? Math.Exp(sumLog / fit).ToString("F3", _invariant) : "-")} | {(fit > 0 ? $"{low:F2}-{high:F2}" : "-")} | {over} | {caught} | {missed} | {lost} |"));
        }
        return 0;
    });

    /// <summary>The product at <paramref name="shape"/> with operands of <paramref name="type"/> (tf32: float32 operands on the TF32 MMA).</summary>
    private static Operator Product(string type, string shape) =>
        OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", shape, $"gemm_{type}", null) with { Dtype = type == "tf32" ? "f32" : type });

    /// <summary>Every tiling of the space legal on <paramref name="profile"/> when registers are not counted.</summary>
    private static IEnumerable<Schedule> Tilings(Operator op, HardwareProfile profile)
    {
        var registersUnbounded = profile with { MaxRegistersPerThread = int.MaxValue / 1024, RegistersPerMultiprocessor = int.MaxValue, OccupancyGoalThreads = 0 };
        return TensorCoreChoice.Schedules(op, registersUnbounded, allowTf32: true);
    }
}
