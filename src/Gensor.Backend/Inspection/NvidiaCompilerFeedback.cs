using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Backend.Inspection;

/// <summary>
/// Compiler feedback from NVIDIA's tools: each schedule is lowered to C#, all
/// of them are compiled by Roslyn in one compilation (its fixed cost is then
/// paid once), and each kernel goes to PTX with ILGPU and through ptxas (and
/// cuobjdump, when the instruction mix is wanted) for the profile's
/// architecture. Kernels go through ILGPU and the tools
/// <paramref name="parallelism"/> at a time: a large unrolled kernel takes
/// ILGPU seconds, so this is where the time goes.
/// </summary>
/// <param name="tools">The tools to run.</param>
/// <param name="parallelism">How many kernels are compiled at once.</param>
/// <param name="disassemble">Also disassemble each cubin for its instruction mix (a cuobjdump run per kernel).</param>
public sealed class NvidiaCompilerFeedback(NvidiaTools tools, int parallelism = 2, bool disassemble = true) : ICompilerFeedback
{
    /// <summary>
    /// Feedback from the tools found on this machine, or null (with the reason)
    /// when there are none; without disassembly unless <paramref name="disassemble"/>.
    /// </summary>
    public static NvidiaCompilerFeedback? TryCreate(out string missing, bool disassemble = false) =>
        NvidiaTools.TryFind(out var tools, out missing) ? new NvidiaCompilerFeedback(tools, Math.Max(1, Environment.ProcessorCount), disassemble) : null;

    /// <inheritdoc />
    public IReadOnlyList<KernelFeedback> Inspect(Operator op, IReadOnlyList<Schedule> schedules, HardwareProfile profile)
    {
        if (!KernelInspector.IsCuda(profile))
        {
            return [.. schedules.Select(s => new KernelFeedback(s, null, $"{profile.Name} ({profile.Architecture}) is not an NVIDIA GPU profile", 0))];
        }
        var clock = Stopwatch.StartNew();
        var sources = new KernelSource?[schedules.Count];
        var results = new KernelFeedback?[schedules.Count];
        for (var i = 0; i < schedules.Count; i++)
        {
            try
            {
                sources[i] = CSharpKernelGenerator.Generate(new EtirState(op, schedules[i]), $"FeedbackKernel{i}");
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or Gensor.Diagnostics.GensorException)
            {
                results[i] = new KernelFeedback(schedules[i], null, $"does not lower: {exception.Message}", 0);
            }
        }
        var lowered = Enumerable.Range(0, schedules.Count).Where(i => sources[i] is not null).ToArray();
        var compiled = RoslynKernelCompiler.Compile([.. lowered.Select(i => sources[i]!)]);
        // Roslyn's time is shared by all; each kernel is charged its share.
        var sharedMs = clock.Elapsed.TotalMilliseconds / Math.Max(1, lowered.Length);
        Parallel.For(0, lowered.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, n =>
        {
            var i = lowered[n];
            results[i] = compiled[n].Method is { } method
                ? Compile(schedules[i], method, sources[i]!, profile, sharedMs)
                : new KernelFeedback(schedules[i], null, $"does not compile: {compiled[n].Error}", sharedMs);
        });
        return [.. results.Select(r => r!)];
    }

    private KernelFeedback Compile(Schedule schedule, System.Reflection.MethodInfo method, KernelSource source, HardwareProfile profile, double sharedMs)
    {
        var clock = Stopwatch.StartNew();
        string ptx;
        try
        {
            ptx = OfflineKernelCompiler.Ptx(method, profile.Architecture);
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException)
        {
            return new KernelFeedback(schedule, null, $"ILGPU could not compile it: {exception.Message}", clock.Elapsed.TotalMilliseconds + sharedMs);
        }
        var ptxMs = clock.Elapsed.TotalMilliseconds + sharedMs;
        try
        {
            var resources = disassemble
                ? KernelInspector.Inspect(tools, ptx, profile, source.Launch, ptxMs).Resources
                : KernelInspector.Assemble(tools, ptx, profile, source.Launch, ptxMs);
            return new KernelFeedback(schedule, resources, null, resources.Timings.TotalMs);
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException or TimeoutException or Gensor.Diagnostics.GensorException)
        {
            // A GensorException: ptxas does not know the profile's architecture; each kernel says so, and the check goes on.
            return new KernelFeedback(schedule, null, exception.Message, ptxMs);
        }
    }
}
