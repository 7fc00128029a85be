using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Doubles or halves block and thread tile together along spatial axis
/// <paramref name="Axis"/>, so the block keeps its threads while each does more
/// (or less) work. It is the composition of two other primitives whose middle
/// state may be illegal (too many threads, or a thread tile larger than the
/// block); as one edge it lets the walk cross that gap (our addition).
/// </summary>
public sealed record ScaleThreadWork(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        int block = schedule.BlockTile[Axis], thread = schedule.ThreadTile[Axis];
        if ((Grow ? CannotGrow(op, schedule, Axis) : CannotShrink(schedule, Axis)) is { } reason)
        {
            return PrimitiveOutcome.Refused(reason);
        }
        return Grow
            ? PrimitiveOutcome.To(schedule with
            {
                BlockTile = schedule.BlockTile.SetItem(Axis, block * 2),
                ThreadTile = schedule.ThreadTile.SetItem(Axis, thread * 2),
            })
            : PrimitiveOutcome.To(schedule with
            {
                BlockTile = schedule.BlockTile.SetItem(Axis, block / 2),
                ThreadTile = schedule.ThreadTile.SetItem(Axis, thread / 2),
            });
    }

    /// <summary>Why block and thread tile cannot double along <paramref name="axis"/>; null when they can.</summary>
    internal static string? CannotGrow(Operator op, Schedule schedule, int axis)
    {
        int block = schedule.BlockTile[axis], thread = schedule.ThreadTile[axis];
        return block * 2 > ScheduleSpace.For(op).BlockCap(axis) || thread * 2 > ScheduleSpace.MaxThreadTile
            ? $"block {block} and thread {thread} along axis {axis} are at their limits"
            : null;
    }

    /// <summary>Why block and thread tile cannot halve along <paramref name="axis"/>; null when they can.</summary>
    internal static string? CannotShrink(Schedule schedule, int axis) =>
        schedule.ThreadTile[axis] / 2 < schedule.VirtualThreads[axis]
            ? $"thread tile {schedule.ThreadTile[axis]} along axis {axis} cannot shrink below its virtual threads"
            : null;

    public override string ToString() => $"{(Grow ? "scale up" : "scale down")} work[{Axis}]";
}
