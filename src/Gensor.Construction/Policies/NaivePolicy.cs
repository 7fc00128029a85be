using System.Diagnostics;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>
/// One thread per output element: thread tile 1, no virtual threads, reduce
/// step 1, nothing staged, scalar copies; the block tile takes up to 256
/// threads from the innermost spatial axes outward. The floor every other
/// policy must beat, and the walk's first starting point.
/// </summary>
public sealed class NaivePolicy : ISchedulePolicy
{
    /// <summary>Threads per block the naive schedule aims for.</summary>
    public const int TargetThreads = 256;

    public string Name => "naive";

    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var watch = Stopwatch.StartNew();
        var legal = LegalScheduleFor(op, profile) is { } schedule ? new[] { schedule } : [];
        return new ConstructionResult(Name, Ranking.Top(op, profile, legal, 1), 1, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// <see cref="ScheduleFor"/> where the profile allows it, else null: like every policy's, the naive candidate is
    /// one legality accepts (a profile no one-output-a-thread block fits got it anyway, and emit wrote a kernel for a
    /// target that legality says cannot run it: found by fuzzing profiles).
    /// </summary>
    public static Schedule? LegalScheduleFor(Operator op, HardwareProfile profile) =>
        ScheduleFor(op, profile) is var schedule && Legality.Check(op, schedule, profile) is null ? schedule : null;

    /// <summary>The naive schedule of <paramref name="op"/>.</summary>
    public static Schedule ScheduleFor(Operator op, HardwareProfile profile)
    {
        var space = ScheduleSpace.For(op);
        var spatial = space.Analysis.SpatialRank;
        var block = new int[spatial];
        var budget = Math.Min(TargetThreads, profile.MaxThreadsPerBlock);
        for (var i = spatial - 1; i >= 0; i--)
        {
            block[i] = Math.Max(1, Math.Min(space.BlockCap(i), budget));
            budget = Math.Max(1, budget / block[i]);
        }
        var ones = Enumerable.Repeat(1, spatial).ToArray();
        return new Schedule(
            block,
            ones,
            ones,
            Enumerable.Repeat(1, space.Analysis.ReduceRank).ToArray(),
            ValueArray<string>.Empty,
            1);
    }

    /// <summary>
    /// The naive schedule of a reduction done by threads together: one output per block, its
    /// reduction shared by as many threads as the space offers (at most <see cref="TargetThreads"/>),
    /// each taking one point of the innermost reduce axis per step (the walk checks it is legal);
    /// null where the space has no cross-thread reduction. The natural matrix-vector kernel.
    /// </summary>
    public static Schedule? SharedReductionScheduleFor(Operator op, HardwareProfile profile)
    {
        var space = ScheduleSpace.For(op);
        var threads = space.ReduceThreads.Where(t => t > 1 && t <= Math.Min(TargetThreads, profile.MaxThreadsPerBlock)).DefaultIfEmpty(1).Max();
        if (threads == 1)
        {
            return null;
        }
        var ones = Enumerable.Repeat(1, space.Analysis.SpatialRank).ToArray();
        // The threads share the innermost reduce axis, one point each per step.
        var step = Enumerable.Repeat(1, space.Analysis.ReduceRank).ToArray();
        step[^1] = threads;
        return new Schedule(ones, ones, ones, step, ValueArray<string>.Empty, 1) with { ReduceThreads = threads };
    }
}
