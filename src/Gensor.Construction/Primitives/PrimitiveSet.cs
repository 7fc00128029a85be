using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>The edges out of every state of an operator, and their application under the legality rules.</summary>
public static class PrimitiveSet
{
    /// <summary>Every primitive that can apply to some schedule of <paramref name="op"/>.</summary>
    public static IReadOnlyList<IPrimitive> For(Operator op)
    {
        var space = ScheduleSpace.For(op);
        var primitives = new List<IPrimitive>();
        for (var axis = 0; axis < space.Analysis.SpatialRank; axis++)
        {
            foreach (var grow in new[] { true, false })
            {
                primitives.Add(new ResizeBlockTile(axis, grow));
                primitives.Add(new ResizeThreadTile(axis, grow));
                primitives.Add(new ScaleThreadWork(axis, grow));
                primitives.Add(new ResizeVirtualThreads(axis, grow));
            }
        }
        for (var from = 0; from < space.Analysis.SpatialRank; from++)
        {
            for (var to = 0; to < space.Analysis.SpatialRank; to++)
            {
                if (from != to)
                {
                    primitives.Add(new MoveThreadWork(from, to));
                    primitives.Add(new MoveThreads(from, to));
                }
            }
        }
        for (var axis = 0; axis < space.Analysis.ReduceRank; axis++)
        {
            primitives.Add(new ResizeReduceStep(axis, Grow: true));
            primitives.Add(new ResizeReduceStep(axis, Grow: false));
        }
        primitives.AddRange(space.StageableInputs.Select(tensor => new ToggleStaging(tensor)));
        primitives.AddRange(space.StageableInputs.Select(tensor => new StagePipelined(tensor)));
        primitives.Add(new ChangeVectorWidth(Grow: true));
        primitives.Add(new ChangeVectorWidth(Grow: false));
        primitives.Add(new TogglePadding());
        primitives.Add(new TogglePrefetch());
        primitives.Add(new ToggleDoubleBuffering());
        primitives.Add(new ToggleAsyncCopy());
        if (space.ReduceRuns(anyStaged: true).Count > 1)
        {
            primitives.Add(new ToggleReduceRun());
        }
        if (space.ReduceThreads.Count > 1)
        {
            primitives.Add(new ResizeReduceThreads(Grow: true));
            primitives.Add(new ResizeReduceThreads(Grow: false));
            for (var axis = 0; axis < space.Analysis.SpatialRank; axis++)
            {
                primitives.Add(new ShareReductionWork(axis, Grow: true));
                primitives.Add(new ShareReductionWork(axis, Grow: false));
            }
        }
        if (space.Splits.Count > 1)
        {
            primitives.Add(new ResizeSplit(Grow: true));
            primitives.Add(new ResizeSplit(Grow: false));
            primitives.Add(new ResizeSplit(Grow: false, Undo: true));
        }
        if (space.Splits.Count > 1 && space.ReduceThreads.Count > 1)
        {
            primitives.Add(new TradeSplitForLanes(ToLanes: true));
            primitives.Add(new TradeSplitForLanes(ToLanes: false));
        }
        return primitives;
    }

    /// <summary>Applies <paramref name="primitive"/> and checks the result on <paramref name="profile"/>.</summary>
    public static PrimitiveOutcome ApplyLegal(IPrimitive primitive, Operator op, Schedule schedule, HardwareProfile profile)
    {
        var outcome = primitive.Apply(op, schedule);
        if (outcome.Schedule is null)
        {
            return outcome;
        }
        var reason = Legality.Check(op, outcome.Schedule, profile);
        return reason is null ? outcome : PrimitiveOutcome.Refused(reason);
    }
}
