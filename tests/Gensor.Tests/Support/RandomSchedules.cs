using Gensor.Construction;
using Gensor.Construction.Space;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Tests.Support;

/// <summary>
/// Seeded random schedules from the whole schedule space (every combination of tiles, virtual threads,
/// staging, vector width, padding, prefetch, double buffering, reduce threads and split-K), for tests that must
/// not choose their cases.
/// </summary>
internal static class RandomSchedules
{
    /// <summary>Distinct schedules drawn uniformly per choice from the operator's space, kept when legal on <paramref name="profile"/>.</summary>
    public static List<Schedule> Draw(Operator op, Random random, int count, HardwareProfile profile)
    {
        var space = ScheduleSpace.For(op);
        var rank = space.Analysis.SpatialRank;
        var drawn = new List<Schedule>();
        for (var attempt = 0; attempt < 10_000 && drawn.Count < count; attempt++)
        {
            var block = new int[rank];
            var thread = new int[rank];
            var vthread = new int[rank];
            for (var i = 0; i < rank; i++)
            {
                block[i] = PowerOfTwoUpTo(random, space.BlockCap(i));
                thread[i] = PowerOfTwoUpTo(random, Math.Min(block[i], ScheduleSpace.MaxThreadTile));
                vthread[i] = PowerOfTwoUpTo(random, Math.Min(thread[i], ScheduleSpace.MaxVirtualThreads));
            }
            var reduce = Enumerable.Range(0, space.Analysis.ReduceRank).Select(j => space.ReduceChoices(j)[random.Next(space.ReduceChoices(j).Count)]).ToArray();
            var shared = space.CanonicalShared(space.StageableInputs.Where(_ => random.Next(2) == 0));
            var variants = ScheduleSpace.CopyVariants(shared.Count > 0);
            var (vector, padding, prefetch, buffers, asyncCopy) = variants[random.Next(variants.Count)];
            var lanes = space.ReduceThreads[random.Next(space.ReduceThreads.Count)];
            // Split-K where the space has it; drawn only then, so the other operators' draws stay as they were.
            var split = space.Splits.Count > 1 ? space.Splits[random.Next(space.Splits.Count)] : 1;
            // Likewise a reduce run, drawn only for a staged schedule of an operator whose space has one.
            var runs = space.ReduceRuns(shared.Count > 0);
            var run = runs.Count > 1 ? runs[random.Next(runs.Count)] : 1;
            var schedule = new Schedule(block, thread, vthread, reduce, shared, vector)
            {
                SharedPadding = padding,
                RegisterPrefetch = prefetch,
                SharedBuffers = buffers,
                AsyncCopy = asyncCopy,
                ReduceThreads = lanes,
                ReduceRun = run,
                SplitReduce = split,
            };
            if (Legality.Check(op, schedule, profile) is null && !drawn.Contains(schedule))
            {
                drawn.Add(schedule);
            }
        }
        return drawn;
    }

    private static int PowerOfTwoUpTo(Random random, int cap) => 1 << random.Next(System.Numerics.BitOperations.Log2((uint)cap) + 1);
}
