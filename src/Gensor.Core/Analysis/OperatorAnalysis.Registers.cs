using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

public sealed partial class OperatorAnalysis
{
    /// <summary>Registers a thread needs whatever the tiles: thread and block coordinates, loop counters, stage indices.</summary>
    public const int BaseRegisters = 12;

    /// <summary>
    /// An estimate of registers per thread, term by term as the lowering writes the kernel,
    /// fitted to ptxas 11.8 for sm_90 on gensor's leading candidates for the bench suites
    /// (<c>Gensor.Bench registers</c>): see <see cref="RegisterTerms"/>.
    /// </summary>
    public int RegistersPerThread(Schedule schedule) => EstimateRegisters(schedule).Total;

    /// <summary>
    /// The register estimate's terms for <paramref name="schedule"/> (<see cref="RegisterTerms"/>);
    /// <see cref="RegistersPerThread"/> is their total. The bench writes them per kernel to refit them.
    /// </summary>
    public RegisterTerms EstimateRegisters(Schedule schedule)
    {
        Span<int> point = stackalloc int[AxisCount];
        ThreadPointTile(schedule, point);
        Span<int> stage = stackalloc int[AxisCount];
        BlockStageTile(schedule, stage);
        Span<int> body = stackalloc int[AxisCount];
        UnrolledBodyTile(schedule, body);
        var inFlight = _reads.Length <= 256 ? stackalloc long[_reads.Length] : new long[_reads.Length];
        var reused = _reads.Length <= 256 ? stackalloc bool[_reads.Length] : new bool[_reads.Length];
        long coordinates = 0, copyValues = 0;
        double windowChecks = 0;
        // The lowering's register prefetch loads the next stage during this one's multiply-adds; a
        // block of one stage has no next stage, so its copy is done before they start.
        var copyHeld = schedule.RegisterPrefetch && StagesPerBlock(schedule) > 1;
        // A lane's run of reduce points loads all its operands before its multiply-adds (ReduceLaneRun): half a
        // point's operands more per further point of the run, fitted to ptxas 11.8 on the leading candidates of
        // d0472d6 and its successor, where leaving the runs out put the lane-run kernels at 0.65-0.9 of ptxas's
        // registers (GPT-2's MLP down-projection: 120-144 against 167) and the whole run at 1.1-1.4 (batch-1 ResNet-50);
        // some unstaged reads hold more (RunOperandRegisters).
        var laneRun = ReduceLaneRun(schedule);
        for (var r = 0; r < _reads.Length; r++)
        {
            var operands = Footprint(r, point, clamp: false);
            var staged = IsShared(schedule, _reads[r].Tensor);
            reused[r] = operands < schedule.OutputsPerThread;
            inFlight[r] = OperandRegisters(schedule, operands) + RunOperandRegisters(_reads[r], staged, operands, laneRun);
            if (staged)
            {
                var (values, chunkCoordinates) = CopyRegisters(r, schedule, stage, copyHeld && schedule.SharedBuffers == 1);
                copyValues += values;
                coordinates += chunkCoordinates;
            }
            else
            {
                // A global read's window address lives only as long as its operands.
                inFlight[r] += GlobalReadRegisters * (1 + CheckedDimensions(r, schedule, reduceGuarded: true));
                windowChecks += WindowCheckRegisters * CheckedCoordinatesPerBody(r, schedule, body);
            }
        }
        return new RegisterTerms(schedule.OutputsPerThread, BaseRegisters, coordinates, LiveAtOnce(inFlight, reused), copyValues,
            (long)Math.Ceiling(windowChecks), copyHeld);
    }

    /// <summary>
    /// The registers a run of <paramref name="laneRun"/> reduce points (<see cref="ReduceLaneRun"/>) adds to
    /// <paramref name="read"/>'s <paramref name="operands"/> per point (<paramref name="staged"/>: in shared memory): half a point's operands per further point, and a
    /// whole point's for an unstaged read that is not contiguous along the innermost reduce axis, whose points load
    /// apart from global memory (row-major B beside a run of A). Refitted to ptxas 11.8 for sm_90 on the leading 10
    /// candidates of the bench suites at 167b37e (560 kernels, `Gensor.Bench registers --from-rows`): with half a point
    /// for every read, the 161 kernels with run=4 came out at 0.933 of ptxas in geometric mean, 18.1 registers apart
    /// in mean (GPT-2's MLP with A staged and B read from global memory, 8x8 a thread: 138 against 165-167); with a
    /// whole point for such reads, 0.973 and 15.0, and the 147 lane-run kernels without run=4 0.999 and 9.7 (0.946 and
    /// 9.1 before). A whole point for the staged reads as well put the run kernels at 1.05 and above.
    /// </summary>
    private long RunOperandRegisters(ReadInfo read, bool staged, long operands, int laneRun)
    {
        var loadsEachPointApart = !staged && !ContiguousAlongInnerReduce(read);
        return loadsEachPointApart ? operands * (laneRun - 1) : operands * (laneRun - 1) / 2;
    }

    /// <summary>Whether <paramref name="read"/>'s consecutive points of the innermost reduce axis lie next to each other in memory.</summary>
    private bool ContiguousAlongInnerReduce(ReadInfo read) => ReduceRank > 0 && read.AxisStrides[SpatialRank + ReduceRank - 1] == 1;

    /// <summary>
    /// The reduce points of one unrolled body of a stage (<see cref="StageUnrolling"/>) on the
    /// thread's point tile: the unrolled reduce loops' trips, a partly unrolled loop's factor, 1 elsewhere.
    /// </summary>
    private void UnrolledBodyTile(Schedule schedule, Span<int> tile)
    {
        ThreadPointTile(schedule, tile);
        var (loops, _, factor) = StageUnrolling(schedule);
        var lanes = Math.Max(1, schedule.ReduceThreads);
        for (var j = ReduceRank - 1; j >= ReduceRank - loops; j--)
        {
            tile[SpatialRank + j] = (int)Trips(schedule, j, lanes);
        }
        if (ReduceRank - loops - 1 is var rolled and >= 0)
        {
            tile[SpatialRank + rolled] = factor;
        }
    }

    /// <summary>
    /// The coordinates a thread checks along the bounds-checked dimensions of unstaged read
    /// <paramref name="r"/> whose index moves within one unrolled body (<paramref name="body"/>):
    /// a padded window's taps, where each tap of the thread tile tests its own row and column.
    /// Dimensions that no reduce point moves within a body count none (their checks are the
    /// thread's, in <see cref="GlobalReadRegisters"/>).
    /// </summary>
    private long CheckedCoordinatesPerBody(int r, Schedule schedule, ReadOnlySpan<int> body)
    {
        long coordinates = 0;
        var read = _reads[r];
        for (var d = 0; d < read.Terms.Length; d++)
        {
            var movesInBody = false;
            foreach (var (slot, _) in read.Terms[d])
            {
                movesInBody |= slot >= SpatialRank && body[slot] > 1;
            }
            if (movesInBody && IndexCanLeave(r, d, schedule, reduceGuarded: true))
            {
                coordinates += DimensionExtent(read, d, body, clamp: false);
            }
        }
        return coordinates;
    }

    /// <summary>
    /// Registers per coordinate that a padded window checks in an unrolled body
    /// (<see cref="CheckedCoordinatesPerBody"/>): ptxas tests them once per body and keeps the
    /// predicates through the multiply-adds in general registers (P2R; sm_90 has 7 predicate
    /// registers): batch-1 ResNet-50's s4_conv3x3 with a 2×2 tile and 3×3 taps (8 coordinates)
    /// holds 12 registers written by P2R there. Fitted with the terms of <see cref="RegisterTerms"/>
    /// on the leading candidates of 161d073 and febac48, where the 3×3 and 7×7 convolutions'
    /// estimates ran 20-45 registers under ptxas's.
    /// </summary>
    private const double WindowCheckRegisters = 1.5;

    /// <summary>
    /// The operands of the reduce points in flight, <paramref name="perPoint"/> registers per
    /// point: ptxas loads the next points' operands while the current one's multiply-adds run,
    /// more of them the more multiply-adds a point has to hide their latency behind: half a
    /// point's worth at 16 outputs per thread or fewer, three and a half from 112 on (fitted to
    /// ptxas 11.8 for sm_90, where 128-output tiles that it compiles to 255 registers and spills
    /// need the top of the range to be caught; the stage's length hardly matters once shared
    /// loads are a window plus a constant).
    /// </summary>
    private static long OperandRegisters(Schedule schedule, long perPoint) =>
        (long)Math.Ceiling(perPoint * Math.Clamp(schedule.OutputsPerThread / 32.0, 0.5, 3.5));

    /// <summary>
    /// A staged read's copy: the values in flight (ptxas issues every load of an unrolled copy
    /// before its stores, so all of a thread's chunks at once; one chunk when a loop copies
    /// them) and the coordinates: one register per unrolled chunk and checked dimension that a
    /// stage moves, and the first chunk's coordinate and bounds per checked dimension. A chunk's
    /// carries, and its bounds checks where no stage moves them, are bits of a few registers set
    /// before the stage loop (the lowering's condition bits): refitted to them on 2ff8b77's
    /// leading candidates, where a register per chunk and two per checked dimension overrated
    /// ptxas 1.15x (1.25x on batch-1 ResNet-50). With <paramref name="storesHeldValues"/> (a
    /// single-buffered register prefetch: the stage loop opens with the stores of the values
    /// the last stage loaded), ptxas hoists each chunk's shared-memory address out of the loop
    /// and keeps it, a register per chunk (batch-1 ResNet-50's s4_conv3x3 with 36 chunks of W:
    /// 27 such registers live through the multiply-adds).
    /// </summary>
    private (long Values, long Coordinates) CopyRegisters(int r, Schedule schedule, ReadOnlySpan<int> stage, bool storesHeldValues)
    {
        var (width, _, _, iterations) = CopyShape(r, schedule, stage);
        var (checks, moved) = CopyCheckedDimensions(r, schedule);
        var chunks = HoistsCopy(r, schedule, stage, width, iterations) ? iterations : 0;
        var addresses = storesHeldValues ? chunks : 0;
        if (schedule.AsyncCopy)
        {
            // cp.async moves the values without registers; the copy keeps a 64-bit base address of the box.
            return (0, chunks * (long)moved + CopyCheckRegisters * checks + AsyncCopyBaseRegisters);
        }
        return (Math.Max(chunks, 1) * (long)width, chunks * (long)moved + CopyCheckRegisters * checks + addresses);
    }

    /// <summary>
    /// The dimensions of read <paramref name="r"/> whose copy loads need bounds checks, and of
    /// those the ones whose index has a reduce axis that takes more than one stage: the box moves
    /// across the bounds from stage to stage, so a copy checks them in each stage; the lowering
    /// sets the other checks' bits once.
    /// </summary>
    private (int Checked, int Moved) CopyCheckedDimensions(int r, Schedule schedule)
    {
        int count = 0, moved = 0;
        for (var d = 0; d < _reads[r].Terms.Length; d++)
        {
            if (!IndexCanLeave(r, d, schedule, reduceGuarded: false))
            {
                continue;
            }
            count++;
            foreach (var (slot, _) in _reads[r].Terms[d])
            {
                if (slot >= SpatialRank && schedule.ReduceStep[slot - SpatialRank] < _extents[slot])
                {
                    moved++;
                    break;
                }
            }
        }
        return (count, moved);
    }

    /// <summary>Registers of an asynchronous copy's 64-bit base address in the tensor, per staged read.</summary>
    private const int AsyncCopyBaseRegisters = 2;

    /// <summary>Registers of a global read's window address, and as many again per checked dimension (its coordinate and bound).</summary>
    private const int GlobalReadRegisters = 4;

    /// <summary>Registers of a staged read's first copy chunk per bounds-checked dimension.</summary>
    private const int CopyCheckRegisters = 4;

    /// <summary>
    /// The registers of the reads that are live at once (issue 13): a read whose
    /// operands are shared by several outputs of the thread tile (<paramref name="reused"/>:
    /// its footprint is smaller than the tile, a column of A in a matrix product)
    /// keeps them through the reduce point, so all of its registers count. A read
    /// used by one output only is consumed where it is loaded: of those, only as
    /// many are live at once as evaluating the body's tree takes (its
    /// Sethi-Ullman number: two for a sum of any length), each at the cost of
    /// the dearest. This is never more than counting every read, and the same
    /// for bodies of one or two such reads (every operator of the suites).
    /// </summary>
    private long LiveAtOnce(ReadOnlySpan<long> perRead, ReadOnlySpan<bool> reused)
    {
        long total = 0, single = 0, dearest = 0;
        for (var r = 0; r < perRead.Length; r++)
        {
            if (reused[r])
            {
                total += perRead[r];
            }
            else
            {
                single += perRead[r];
                dearest = Math.Max(dearest, perRead[r]);
            }
        }
        return total + Math.Min(single, EvaluationRegisters(reused) * dearest);
    }

    /// <summary>
    /// Registers to evaluate the body once (Sethi-Ullman): a read already live
    /// (<paramref name="live"/>) or a constant needs none, any other read one;
    /// a node needs the larger of its operands' needs, one more when they tie.
    /// </summary>
    private long EvaluationRegisters(ReadOnlySpan<bool> live)
    {
        Span<int> needs = _bodyPostorder.Length <= 512 ? stackalloc int[_bodyPostorder.Length] : new int[_bodyPostorder.Length];
        var top = 0;
        foreach (var entry in _bodyPostorder)
        {
            switch (entry)
            {
                case -1:
                    needs[top++] = 0;
                    break;
                case -2:
                    needs[top - 1] = Math.Max(needs[top - 1], 1);
                    break;
                case -3:
                    var right = needs[--top];
                    var left = needs[top - 1];
                    needs[top - 1] = left == right ? left + 1 : Math.Max(left, right);
                    break;
                default:
                    needs[top++] = live[entry] ? 0 : 1;
                    break;
            }
        }
        return needs[0];
    }
}
