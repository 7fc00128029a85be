using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

public sealed partial class OperatorAnalysis
{
    /// <summary>Reduce points a thread computes in one stage: the stage's points, shared among the reduce threads.</summary>
    public static long PointsPerThreadPerStage(Schedule schedule)
    {
        long points = 1;
        for (var j = 0; j < schedule.ReduceStep.Count; j++)
        {
            points *= schedule.ReduceStep[j];
        }
        return points / Math.Max(1, schedule.ReduceThreads);
    }

    /// <summary>Largest stage, in reduce points per thread, whose loops the lowering unrolls.</summary>
    public const int MaxUnrolledPoints = 128;

    /// <summary>
    /// Largest body of a partly unrolled loop, in reduce points per thread, in a stage with no
    /// barrier inside (double-buffered, or nothing staged): ptxas issued every load of such a
    /// body past 16 points at once when ILGPU's O2 hoisted them (ptxas 11.8, sm_90, spilling
    /// 256x256x256 GEMMs), and longer bodies have not been measured at O1 since.
    /// </summary>
    public const int MaxUnbarredPartialPoints = 16;

    /// <summary>Largest stage, in multiply-adds per thread, whose loops the lowering unrolls.</summary>
    public const int MaxUnrolledUpdates = 4096;

    /// <summary>
    /// Whether the reduce points of a stage are unrolled into straight-line code:
    /// constant shared-memory offsets and no loop overhead, at the price of code
    /// size, so only up to <see cref="MaxUnrolledPoints"/> points and
    /// <see cref="MaxUnrolledUpdates"/> multiply-adds per thread.
    /// </summary>
    public static bool UnrollsStage(Schedule schedule) => UnrolledReduceLoops(schedule) == schedule.ReduceStep.Count;

    /// <summary>
    /// How many of a stage's reduce loops, counted from the innermost, the lowering unrolls:
    /// loops are unrolled from the inside out while the unrolled body stays within
    /// <see cref="MaxUnrolledPoints"/> points and <see cref="MaxUnrolledUpdates"/> multiply-adds
    /// per thread. A stage too long to unroll whole (a 3x3 convolution's 8x3x3 points for 64
    /// outputs) still has its inner loops unrolled: a rolled loop of one point per iteration
    /// costs a compare, a branch and its address arithmetic per 64 multiply-adds, and ptxas
    /// can issue a later point's loads early only within an unrolled body.
    /// </summary>
    public static int UnrolledReduceLoops(Schedule schedule) => StageUnrolling(schedule).Loops;

    /// <summary>
    /// Reduce points per thread in one unrolled body of a stage (see <see cref="UnrolledReduceLoops"/>
    /// and <see cref="PartialUnrollFactor"/>): 1 when nothing is unrolled.
    /// </summary>
    public static long UnrolledPoints(Schedule schedule) => StageUnrolling(schedule).Points;

    /// <summary>
    /// How many trips of the innermost rolled reduce loop one iteration of it runs (1: none, or no
    /// rolled loop): the loop is unrolled by the largest divisor of its trips that keeps the body
    /// within <see cref="MaxUnrolledPoints"/> points (<see cref="MaxUnbarredPartialPoints"/> in a
    /// stage with no barrier inside) and <see cref="MaxUnrolledUpdates"/> multiply-adds per
    /// thread. A 3x3 convolution's stage of 16 staged channels for 32 outputs (4608 multiply-adds,
    /// too long to unroll whole) loops over 8 channels at a time, 72 unrolled points: the loop's
    /// compare and branch are paid an eighth as often, and ptxas can schedule a whole body's
    /// shared loads together, as CUTLASS does with its whole k-group.
    /// </summary>
    public static int PartialUnrollFactor(Schedule schedule) => StageUnrolling(schedule).Factor;

    /// <summary>
    /// <see cref="UnrolledReduceLoops"/>, <see cref="UnrolledPoints"/> and <see cref="PartialUnrollFactor"/>
    /// at once, for callers that need more than one of them on a hot path (legality).
    /// </summary>
    public static (int Loops, long Points, int Factor) StageUnrolling(Schedule schedule)
    {
        var inner = schedule.ReduceStep.Count - 1;
        var lanes = Math.Max(1, schedule.ReduceThreads);
        long points = 1;
        var loops = 0;
        for (var j = inner; j >= 0; j--)
        {
            var loopTrips = Trips(schedule, j, lanes);
            if (!Fits(points * loopTrips, schedule))
            {
                break;
            }
            points *= loopTrips;
            loops++;
        }
        var rolled = inner - loops;
        // The innermost loop steps by the lanes: only whole rounds of them unroll.
        if (rolled < 0 || rolled == inner && schedule.ReduceStep[rolled] % lanes != 0)
        {
            return (loops, points, 1);
        }
        var trips = Trips(schedule, rolled, lanes);
        // With no barrier inside the stage ptxas may issue a whole unrolled body's loads up front
        // (see MaxUnbarredPartialPoints): a longer body that the schedule did not ask for would only
        // cost registers, so such stages take at most MaxUnbarredPartialPoints at a time.
        var unbarred = NoBarrierInStage(schedule);
        // No factor above MaxUnrolledPoints / points fits: starting there keeps a step of 2^31 points from
        // counting down through a billion factors (a records file's schedule hung calibrate, found by fuzzing).
        for (var factor = Math.Min(trips / 2, MaxUnrolledPoints / points); factor >= 2; factor--)
        {
            if (trips % factor == 0 && Fits(points * factor, schedule) && (!unbarred || points * factor <= MaxUnbarredPartialPoints))
            {
                return (loops, points * factor, (int)factor);
            }
        }
        return (loops, points, 1);
    }

    /// <summary>Whether a stage runs with no barrier inside it: double-buffered, or nothing staged.</summary>
    public static bool NoBarrierInStage(Schedule schedule) => schedule.SharedBuffers > 1 || schedule.SharedInputs.Count == 0;

    private static long Trips(Schedule schedule, int j, int lanes) =>
        j == schedule.ReduceStep.Count - 1 ? (schedule.ReduceStep[j] + lanes - 1) / lanes : schedule.ReduceStep[j];

    private static bool Fits(long points, Schedule schedule) =>
        points <= MaxUnrolledPoints && points * schedule.OutputsPerThread <= MaxUnrolledUpdates;
}
