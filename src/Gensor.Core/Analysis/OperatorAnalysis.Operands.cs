using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

public sealed partial class OperatorAnalysis
{
    /// <summary>
    /// Whether index <paramref name="dimension"/> of read <paramref name="index"/> can leave its
    /// tensor over the padded iteration space of <paramref name="schedule"/> (whole block tiles,
    /// and whole stages unless <paramref name="reduceGuarded"/>, where points past a reduce
    /// axis are skipped): only then does a load need a bounds check.
    /// </summary>
    public bool IndexCanLeave(int index, int dimension, Schedule schedule, bool reduceGuarded)
    {
        var read = _reads[index];
        long min = read.Constants[dimension], max = min;
        foreach (var (slot, coefficient) in read.Terms[dimension])
        {
            long extent = _extents[slot];
            var step = slot < SpatialRank ? schedule.BlockTile[slot] : schedule.ReduceStep[slot - SpatialRank];
            var padded = slot >= SpatialRank && reduceGuarded ? extent : (extent + step - 1) / step * step;
            var span = coefficient * (padded - 1);
            if (span >= 0)
            {
                max += span;
            }
            else
            {
                min += span;
            }
        }
        return min < 0 || max >= read.Shape[dimension];
    }

    /// <summary>Dimensions of read <paramref name="index"/> whose loads need bounds checks (see <see cref="IndexCanLeave"/>).</summary>
    public int CheckedDimensions(int index, Schedule schedule, bool reduceGuarded)
    {
        var count = 0;
        for (var d = 0; d < _reads[index].Terms.Length; d++)
        {
            if (IndexCanLeave(index, d, schedule, reduceGuarded))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// Whether a thread's offsets into the staged box of read <paramref name="index"/> stay
    /// multiples of 4 whatever its position, reduce lane, stage buffer and reduce point, so
    /// that four operands at offsets 4i..4i+3 load as one 128-bit shared load: four along a
    /// spatial axis of the thread's chunk, or a lane's run of four reduce points where the box
    /// is contiguous along the innermost reduce axis (<see cref="ReduceLaneRun"/>).
    /// </summary>
    public bool QuadAlignedOperands(int index, Schedule schedule) => QuadAlignedOperands(index, schedule, ReduceLaneRun(schedule));

    private bool QuadAlignedOperands(int index, Schedule schedule, int laneRun)
    {
        var read = _reads[index];
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        Span<long> strides = stackalloc long[read.Terms.Length];
        if (StoredStrides(read, tile, schedule, strides) % 4 != 0)
        {
            return false;
        }
        var innerSlot = SpatialRank + ReduceRank - 1;
        long constant = 0;
        for (var d = 0; d < read.Terms.Length; d++)
        {
            foreach (var (slot, coefficient) in read.Terms[d])
            {
                if (coefficient < 0)
                {
                    // The box starts at the most negative point: the offset moves the base.
                    constant -= strides[d] * coefficient * (tile[slot] - 1);
                }
                var step = strides[d] * coefficient;
                if (slot < SpatialRank)
                {
                    step *= schedule.ThreadTile[slot] / schedule.VirtualThreads[slot];
                }
                else if (slot == innerSlot && step == 1)
                {
                    // Contiguous along a lane's run: its places are a quad's elements, lanes and points whole runs apart.
                    step = laneRun;
                }
                if (step % 4 != 0)
                {
                    return false;
                }
            }
        }
        return constant % 4 == 0;
    }

    /// <summary>
    /// Shared loads per reduce point for staged read <paramref name="index"/>: one per four
    /// operands where they lie contiguous along a spatial axis of the thread tile, or along a
    /// lane's run of four reduce points, and stay aligned (<see cref="QuadAlignedOperands(int, Schedule)"/>);
    /// else one per operand. Fractional where a run's quads serve its four points.
    /// </summary>
    public double SharedLoadsPerPoint(int index, Schedule schedule)
    {
        Span<int> point = stackalloc int[AxisCount];
        ThreadPointTile(schedule, point);
        var operands = Footprint(index, point, clamp: false);
        var laneRun = ReduceLaneRun(schedule);
        if (!QuadAlignedOperands(index, schedule, laneRun))
        {
            return operands;
        }
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        for (var a = 0; a < SpatialRank; a++)
        {
            if (schedule.ThreadTile[a] / schedule.VirtualThreads[a] % 4 == 0 && StoredBoxStride(index, a, tile, schedule) == 1)
            {
                return (operands + 3) / 4;
            }
        }
        return laneRun % 4 == 0 && ReduceRank > 0 && StoredBoxStride(index, SpatialRank + ReduceRank - 1, tile, schedule) == 1
            ? operands / 4.0
            : operands;
    }

    /// <summary>
    /// How many elements a thread loads at once from unstaged read <paramref name="index"/>: 4 or 2
    /// where its operands lie in runs of that many consecutive elements (along a spatial axis of
    /// address stride 1 whose thread chunk is a multiple of it) and every address the kernel forms
    /// for the read stays a multiple of it (block, thread and virtual-thread offsets along that
    /// axis, the other axes' strides, which carry the stage, point and lane offsets, and the
    /// indices' constants), with no bound checked; else 1. The lowering loads such runs as 128- or
    /// 64-bit vectors, and the cost model counts one load per run.
    /// </summary>
    public int GlobalVectorWidth(int index, Schedule schedule)
    {
        var read = _reads[index];
        if (!read.Float32 || CheckedDimensions(index, schedule, reduceGuarded: true) > 0)
        {
            return 1;
        }
        // (ReduceLaneRun is not free, and legality and the cost model ask for every read of every state.)
        if ((schedule.ReduceThreads > 1 || schedule.ReduceRun > 1) && ContiguousAlongInnerReduce(read)
            && ReduceLaneRun(schedule) is > 1 and var laneRun && LaneRunLoadsAsVectors(index, schedule, laneRun))
        {
            return laneRun;
        }
        for (var width = 4; width > 1; width /= 2)
        {
            if (read.FlatConstant % width != 0)
            {
                continue;
            }
            var runs = false;
            var aligned = true;
            for (var slot = 0; slot < AxisCount && aligned; slot++)
            {
                var stride = read.AxisStrides[slot];
                if (slot < SpatialRank && stride == 1 && !runs)
                {
                    var chunk = schedule.ThreadTile[slot] / schedule.VirtualThreads[slot];
                    aligned = chunk % width == 0 && schedule.BlockTile[slot] / schedule.VirtualThreads[slot] % width == 0;
                    runs = true;
                }
                else
                {
                    aligned = stride % width == 0;
                }
            }
            if (runs && aligned)
            {
                return width;
            }
        }
        return 1;
    }

    /// <summary>
    /// How many consecutive points of the innermost reduce axis each reduce lane takes before the
    /// next lane's (4 or 2; 1 without reduce lanes): lane l of L reads k = (L·i + l)·run + v, where
    /// with a run of 1 it reads every L-th k. A run lets an unstaged read along whose innermost
    /// reduce axis the tensor is contiguous (a 1x1 convolution's or a GEMV's weight rows) load each
    /// lane's run as one 128- or 64-bit vector (<see cref="GlobalVectorWidth"/>): batch-1 ResNet-50's
    /// s3_downsample pick for h100 read W one float per lane and point, 574 LDG in ptxas 11.8. A run
    /// of four lets a staged read whose box is contiguous along that axis load it as one 128-bit
    /// shared load (<see cref="SharedLoadsPerPoint"/>): a GEMV's x[j] (the h100 pick for a 4096x4096
    /// GEMV stages x and reads it so). Taken when such a read exists and every run fits whole: the stage's step is a whole number of rounds of lanes × run, the innermost reduce loop is unrolled, and no stage runs past the
    /// axis; otherwise 1, the kernel as before. A schedule that asks for a run (<see cref="Schedule.ReduceRun"/>,
    /// with or without reduce lanes) has that run.
    /// </summary>
    public int ReduceLaneRun(Schedule schedule)
    {
        if (schedule.ReduceRun > 1)
        {
            // Asked for (run=4), with the conditions below checked by CheckStructure.
            return schedule.ReduceRun;
        }
        var lanes = schedule.ReduceThreads;
        var inner = ReduceRank - 1;
        // Cheapest tests first: legality and the cost model ask for every state with reduce lanes.
        if (lanes <= 1 || ReduceRank == 0 || schedule.ReduceStep[inner] % (2L * lanes) != 0)
        {
            return 1;
        }
        if (_lastLaneRun is { } last && ReferenceEquals(last.Schedule, schedule))
        {
            return last.Run;
        }
        var run = LaneRunOf(schedule, lanes, schedule.ReduceStep[inner]);
        _lastLaneRun = new ScheduleLaneRun(schedule, run);
        return run;
    }

    /// <summary>
    /// The last schedule <see cref="ReduceLaneRun"/> answered and its run: the cost model, legality, the
    /// register estimate and each read's vector width ask in turn about one state. One immutable pair,
    /// so threads that share the analysis never see a schedule with another's run.
    /// </summary>
    private sealed record ScheduleLaneRun(Schedule Schedule, int Run);

    private volatile ScheduleLaneRun? _lastLaneRun;

    private int LaneRunOf(Schedule schedule, int lanes, int step)
    {
        if (_extents[SpatialRank + ReduceRank - 1] % step != 0 || StageUnrolling(schedule).Loops == 0)
        {
            return 1;
        }
        for (var run = 4; run > 1; run /= 2)
        {
            if (step % ((long)lanes * run) != 0)
            {
                continue;
            }
            for (var r = 0; r < _reads.Length; r++)
            {
                if (LaneRunLoadsAsVectors(r, schedule, run) || run == 4 && LaneRunLoadsAsSharedQuads(r, schedule))
                {
                    return run;
                }
            }
        }
        return 1;
    }

    /// <summary>
    /// Whether unstaged read <paramref name="index"/> loads a lane's run of <paramref name="run"/>
    /// reduce points as one aligned vector: contiguous along the innermost reduce axis and along no
    /// other axis, every other axis's stride and the indices' constant multiples of the run (block,
    /// thread, stage and lane offsets then keep the alignment), float32 and with no bound checked.
    /// </summary>
    private bool LaneRunLoadsAsVectors(int index, Schedule schedule, int run)
    {
        var read = _reads[index];
        var innerSlot = SpatialRank + ReduceRank - 1;
        if (!read.Float32 || IsShared(schedule, read.Tensor) || !ContiguousAlongInnerReduce(read) || read.FlatConstant % run != 0)
        {
            return false;
        }
        for (var slot = 0; slot < AxisCount; slot++)
        {
            if (slot != innerSlot && read.AxisStrides[slot] % run != 0)
            {
                return false;
            }
        }
        // The costliest test last.
        return CheckedDimensions(index, schedule, reduceGuarded: true) == 0;
    }

    /// <summary>
    /// Whether staged read <paramref name="index"/> loads a lane's run of four reduce points as one
    /// 128-bit shared load: its box is contiguous along the innermost reduce axis (a box stores the
    /// dimensions indexed by reduce axes alone outermost, so only where the dimensions after them
    /// hold one element each: a GEMV's x[j], or I[b,c] with one b per block) and every offset a thread adds stays a multiple of four.
    /// </summary>
    private bool LaneRunLoadsAsSharedQuads(int index, Schedule schedule)
    {
        if (!IsShared(schedule, _reads[index].Tensor))
        {
            return false;
        }
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        return StoredBoxStride(index, SpatialRank + ReduceRank - 1, tile, schedule) == 1
            && QuadAlignedOperands(index, schedule, laneRun: 4);
    }
}
