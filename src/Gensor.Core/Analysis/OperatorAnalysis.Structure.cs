using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

public sealed partial class OperatorAnalysis
{
    /// <summary>
    /// Null when <paramref name="schedule"/> fits the operator whatever the
    /// hardware (list lengths, divisibility, what may be staged); otherwise the
    /// reason it does not. Hardware limits are the construction's legality.
    /// </summary>
    public string? CheckStructure(Schedule schedule)
    {
        // Fused axes are named with what they replaced: a schedule written for the spec's axes must say it per fused axis.
        static string AxisList(IEnumerable<Axis> axes) => axes.Any()
            ? string.Join("; ", axes.Select(axis => axis.FusedFrom.Count > 0 ? $"{axis.Name}, fused from {string.Join(" and ", axis.FusedFrom)}" : axis.Name))
            : "none";
        var op = Operator;
        if (schedule.BlockTile.Count != SpatialRank || schedule.ThreadTile.Count != SpatialRank || schedule.VirtualThreads.Count != SpatialRank)
        {
            return $"the schedule needs {SpatialRank} block, thread and vthread sizes, one per spatial axis ({AxisList(op.SpatialAxes)})";
        }
        if (schedule.ReduceStep.Count != ReduceRank)
        {
            return $"the schedule needs {ReduceRank} reduce steps, one per reduce axis ({AxisList(op.ReduceAxes)})";
        }
        for (var i = 0; i < SpatialRank; i++)
        {
            if (schedule.BlockTile[i] <= 0 || schedule.ThreadTile[i] <= 0 || schedule.VirtualThreads[i] <= 0)
            {
                return $"tile sizes along {op.Axes[i].Name} must be positive";
            }
            if (schedule.BlockTile[i] % schedule.ThreadTile[i] != 0)
            {
                return $"block tile {schedule.BlockTile[i]} along {op.Axes[i].Name} is not a multiple of thread tile {schedule.ThreadTile[i]}";
            }
            if (schedule.ThreadTile[i] % schedule.VirtualThreads[i] != 0)
            {
                return $"thread tile {schedule.ThreadTile[i]} along {op.Axes[i].Name} is not a multiple of {schedule.VirtualThreads[i]} virtual threads";
            }
        }
        for (var j = 0; j < ReduceRank; j++)
        {
            if (schedule.ReduceStep[j] <= 0)
            {
                return $"reduce step along {op.Axes[SpatialRank + j].Name} must be positive";
            }
        }
        // Loops, not LINQ: policies check thousands of schedules per operator.
        for (var k = 0; k < schedule.SharedInputs.Count; k++)
        {
            var tensor = schedule.SharedInputs[k];
            var isInput = false;
            for (var i = 0; i < op.Inputs.Count && !isInput; i++)
            {
                isInput = op.Inputs[i].Name == tensor;
            }
            if (!isInput)
            {
                return $"'{tensor}' is not an input of {op.Name}";
            }
            // A staged tile is the box of one access pattern; a tensor read twice
            // (or only in the epilogue) has no single box to stage.
            var stageable = false;
            for (var r = 0; r < _reads.Length && !stageable; r++)
            {
                stageable = _reads[r].Tensor == tensor && _reads[r].Stageable;
            }
            if (!stageable)
            {
                return $"'{tensor}' can be staged in shared memory only when the body reads it exactly once";
            }
        }
        if (schedule.VectorWidth is not (1 or 2 or 4))
        {
            return $"vector width {schedule.VectorWidth} is not 1, 2 or 4";
        }
        if (schedule.SharedBuffers is not (1 or 2))
        {
            return $"{schedule.SharedBuffers} shared buffers: 1 or 2";
        }
        if (schedule.SharedBuffers == 2 && (schedule.SharedInputs.Count == 0 || schedule.RegisterPrefetch == schedule.AsyncCopy))
        {
            return "double buffering (buffers=2) needs staged inputs and one way to fill the second buffer: the register prefetch (prefetch=1) or asynchronous copies (async=1)";
        }
        if (schedule.AsyncCopy && schedule.SharedBuffers != 2)
        {
            return "asynchronous copies (async=1) fill the second of two shared buffers (buffers=2)";
        }
        if (schedule.AsyncCopy)
        {
            for (var k = 0; k < schedule.SharedInputs.Count; k++)
            {
                var staged = op.Inputs.First(input => input.Name == schedule.SharedInputs[k]);
                if (staged.Type != ElementType.F32)
                {
                    return $"asynchronous copies (async=1) move float32 boxes, and '{staged.Name}' is {staged.Type.Name()}";
                }
            }
        }
        // Each shapes the copy into shared memory, so with nothing staged they change nothing: the kernel is the
        // plain one, recorded under another schedule's text (construction never makes one; found by fuzzing --schedule).
        if (schedule.SharedInputs.Count == 0 && (schedule.SharedPadding != 0 || schedule.RegisterPrefetch || schedule.VectorWidth != 1))
        {
            return "padding (pad), register prefetch (prefetch=1) and the copy's vector width (vector) apply to inputs staged in shared memory, and nothing is staged (shared=-)";
        }
        var lanes = schedule.ReduceThreads;
        if (lanes < 1 || (lanes & (lanes - 1)) != 0)
        {
            return $"{lanes} reduce threads: a power of two";
        }
        if (lanes > 1)
        {
            if (ReduceRank == 0 || op.Reduction == Reduction.None)
            {
                return $"{lanes} reduce threads, but {op.Name} has no reduction to share";
            }
            var step = schedule.ReduceStep[ReduceRank - 1];
            if (step % lanes != 0)
            {
                return $"{lanes} reduce threads do not divide the reduce step {step} along {op.Axes[SpatialRank + ReduceRank - 1].Name}";
            }
        }
        return CheckReduceRun(schedule) ?? CheckSplit(schedule);
    }

    /// <summary>
    /// A reduce run (<see cref="Schedule.ReduceRun"/>): four points, each lane's runs whole in every
    /// stage (the step a multiple of lanes × 4, no stage past the axis, the innermost reduce loop
    /// unrolled, as <see cref="ReduceLaneRun"/> takes its own runs), and a staged input whose box it
    /// stores in the tensor's order; with none it would change nothing that it is for.
    /// </summary>
    private string? CheckReduceRun(Schedule schedule)
    {
        var run = schedule.ReduceRun;
        if (run == 1)
        {
            return null;
        }
        if (run != 4)
        {
            return $"run={run}: a reduce run is 1 or 4 points";
        }
        if (ReduceRank == 0)
        {
            return $"run={run}: {Operator.Name} has no reduce axis";
        }
        var inner = ReduceRank - 1;
        var axis = Operator.Axes[SpatialRank + inner].Name;
        var step = schedule.ReduceStep[inner];
        var lanes = Math.Max(1, schedule.ReduceThreads);
        if (step % ((long)lanes * run) != 0)
        {
            return $"run={run}: the reduce step {step} along {axis} is not a multiple of {lanes} reduce threads × {run}";
        }
        if (_extents[SpatialRank + inner] % step != 0)
        {
            return $"run={run}: the reduce step {step} does not divide {axis}'s {_extents[SpatialRank + inner]}, so the last stage would cut runs";
        }
        if (StageUnrolling(schedule).Loops == 0)
        {
            return $"run={run}: the reduce loop along {axis} is too long to unroll, and a run is unrolled";
        }
        for (var r = 0; r < _reads.Length; r++)
        {
            if (IsShared(schedule, _reads[r].Tensor) && RunReorders(r))
            {
                return null;
            }
        }
        return $"run={run} keeps a staged box in its tensor's order, and no staged input is contiguous along {axis} in memory and stored otherwise";
    }

    /// <summary>Stages of the whole reduction (the product over reduce axes of extent / step, rounded up), before any split.</summary>
    public long StageCount(Schedule schedule)
    {
        long stages = 1;
        for (var j = 0; j < ReduceRank; j++)
        {
            var step = Math.Max(1, schedule.ReduceStep[j]);
            stages = Math.Min(long.MaxValue / 2, stages * ((_extents[SpatialRank + j] + (long)step - 1) / step));
        }
        return stages;
    }

    /// <summary>Stages each block runs: its slice of the reduction (<see cref="StageCount"/> over the split), at least one.</summary>
    public long StagesPerBlock(Schedule schedule) => Math.Max(1, StageCount(schedule) / Math.Max(1, schedule.SplitReduce));

    /// <summary>
    /// Whether blocks may add partial sums of the reduction into the output atomically
    /// (<see cref="Schedule.SplitReduce"/>): only a float32 sum with nothing applied after it.
    /// </summary>
    public bool CanSplitReduction => SplitRefusal(2) is null;

    /// <summary>Why this operator's reduction cannot be split among <paramref name="split"/> blocks; null when it can.</summary>
    private string? SplitRefusal(int split)
    {
        var op = Operator;
        if (ReduceRank == 0 || op.Reduction != Reduction.Sum)
        {
            return $"split={split} adds partial sums, but {op.Name} has no sum to split";
        }
        if (op.Epilogue is not null)
        {
            return $"split={split}: an epilogue must see the whole sum, which no block of a split reduction has";
        }
        return op.Output.Type != ElementType.F32
            ? $"split={split} adds partial sums atomically in float32; the output is {op.Output.Type.Name()}"
            : null;
    }

    /// <summary>Split-K (<see cref="Schedule.SplitReduce"/>): an operator that <see cref="CanSplitReduction"/>, each slice the same whole number of stages.</summary>
    private string? CheckSplit(Schedule schedule)
    {
        var split = schedule.SplitReduce;
        if (split == 1)
        {
            return null;
        }
        if (split < 1)
        {
            return $"split={split}: the reduction is split among at least one block";
        }
        if (SplitRefusal(split) is { } refusal)
        {
            return refusal;
        }
        var stages = StageCount(schedule);
        if (stages % split != 0)
        {
            return $"split={split} does not divide the {stages} stages of the reduction";
        }
        // The grid is one-dimensional: every tile's blocks times the split must fit its 2^31 - 1 blocks
        // (the launch contract's int; a larger one was an internal error, exit 1).
        long tiles = 1;
        for (var i = 0; i < SpatialRank; i++)
        {
            tiles *= (_extents[i] + (long)schedule.BlockTile[i] - 1) / schedule.BlockTile[i];
        }
        if (tiles * split > int.MaxValue)
        {
            return $"split={split}: {tiles} tiles of the output times {split} blocks each exceed a grid's 2147483647 blocks";
        }
        return null;
    }

    /// <summary>
    /// <see cref="Schedule.IsShared"/> without LINQ: the hot path of the cost
    /// model must not allocate an enumerator per read.
    /// </summary>
    public static bool IsShared(Schedule schedule, string tensor)
    {
        var shared = schedule.SharedInputs;
        for (var i = 0; i < shared.Count; i++)
        {
            if (shared[i] == tensor)
            {
                return true;
            }
        }
        return false;
    }
}
