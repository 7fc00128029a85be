using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Doubles or halves the thread tile along spatial axis <paramref name="Axis"/>,
/// keeping the block tile: each thread computes more (or fewer) outputs and the
/// block has half (or twice) the threads.
/// </summary>
public sealed record ResizeThreadTile(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var thread = schedule.ThreadTile[Axis];
        if (Grow)
        {
            return thread * 2 > Math.Min(schedule.BlockTile[Axis], ScheduleSpace.MaxThreadTile)
                ? PrimitiveOutcome.Refused($"thread tile {thread} along axis {Axis} cannot grow past the block tile or {ScheduleSpace.MaxThreadTile}")
                : PrimitiveOutcome.To(schedule with { ThreadTile = schedule.ThreadTile.SetItem(Axis, thread * 2) });
        }
        return thread / 2 < schedule.VirtualThreads[Axis]
            ? PrimitiveOutcome.Refused($"thread tile {thread} along axis {Axis} cannot shrink below its virtual threads")
            : PrimitiveOutcome.To(schedule with { ThreadTile = schedule.ThreadTile.SetItem(Axis, thread / 2) });
    }

    public override string ToString() => $"{(Grow ? "grow" : "shrink")} thread[{Axis}]";
}
