using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Feedback;
using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Backend.Inspection;

/// <summary>
/// Compiler feedback from NVIDIA's tools: each schedule is lowered to C#, all
/// of them are compiled by Roslyn in one compilation (its fixed cost is then
/// paid once), each kernel goes to PTX with ILGPU and through ptxas and cuobjdump
/// for the profile's architecture. The tool runs of different kernels overlap,
/// up to <paramref name="parallelism"/> at a time.
/// </summary>
/// <param name="tools">The tools to run.</param>
/// <param name="parallelism">How many kernels go through ptxas at once.</param>
public sealed class NvidiaCompilerFeedback(NvidiaTools tools, int parallelism = 2) : ICompilerFeedback
{
    /// <summary>Feedback from the tools found on this machine, or null (with the reason) when there are none.</summary>
    public static NvidiaCompilerFeedback? TryCreate(out string missing) =>
        NvidiaTools.TryFind(out var tools, out missing) ? new NvidiaCompilerFeedback(tools) : null;

    /// <inheritdoc />
    public IReadOnlyList<KernelFeedback> Inspect(Operator op, IReadOnlyList<Schedule> schedules, HardwareProfile profile)
    {
        if (!KernelInspector.IsCuda(profile))
        {
            return [.. schedules.Select(s => new KernelFeedback(s, null, $"{profile.Name} ({profile.Architecture}) is not an NVIDIA GPU profile", 0))];
        }
        var clock = Stopwatch.StartNew();
        var sources = new KernelSource?[schedules.Count];
        var errors = new string?[schedules.Count];
        for (var i = 0; i < schedules.Count; i++)
        {
            try
            {
                sources[i] = CSharpKernelGenerator.Generate(new EtirState(op, schedules[i]), $"FeedbackKernel{i}");
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or Gensor.Diagnostics.GensorException)
            {
                errors[i] = $"does not lower: {exception.Message}";
            }
        }
        var lowered = Enumerable.Range(0, schedules.Count).Where(i => sources[i] is not null).ToArray();
        var compiled = RoslynKernelCompiler.Compile([.. lowered.Select(i => sources[i]!)]);
        // Roslyn's time is shared by all; each kernel is charged its share.
        var sharedMs = clock.Elapsed.TotalMilliseconds / Math.Max(1, lowered.Length);
        // ILGPU's PTX generation runs here one kernel at a time; only the tools' processes overlap.
        var results = new KernelFeedback[schedules.Count];
        var ptxs = new (string Ptx, double Ms)?[schedules.Count];
        for (var i = 0; i < schedules.Count; i++)
        {
            var index = Array.IndexOf(lowered, i);
            if (index < 0)
            {
                results[i] = new KernelFeedback(schedules[i], null, errors[i], 0);
                continue;
            }
            if (compiled[index].Method is not { } method)
            {
                results[i] = new KernelFeedback(schedules[i], null, $"does not compile: {compiled[index].Error}", sharedMs);
                continue;
            }
            var ptxClock = Stopwatch.StartNew();
            try
            {
                ptxs[i] = (OfflineKernelCompiler.Ptx(method, profile.Architecture), ptxClock.Elapsed.TotalMilliseconds + sharedMs);
            }
            catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException)
            {
                results[i] = new KernelFeedback(schedules[i], null, $"ILGPU could not compile it: {exception.Message}", ptxClock.Elapsed.TotalMilliseconds + sharedMs);
            }
        }
        Parallel.For(0, schedules.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            if (ptxs[i] is not { } ptx)
            {
                return;
            }
            try
            {
                var resources = KernelInspector.Inspect(tools, ptx.Ptx, profile, sources[i]!.Launch, ptx.Ms).Resources;
                results[i] = new KernelFeedback(schedules[i], resources, null, resources.Timings.TotalMs);
            }
            catch (Exception exception) when (exception is InvalidOperationException or FormatException or TimeoutException)
            {
                results[i] = new KernelFeedback(schedules[i], null, exception.Message, ptx.Ms);
            }
        });
        return results;
    }
}
