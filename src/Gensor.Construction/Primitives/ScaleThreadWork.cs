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
        if (Grow)
        {
            return block * 2 > ScheduleSpace.For(op).BlockCap(Axis) || thread * 2 > ScheduleSpace.MaxThreadTile
                ? PrimitiveOutcome.Refused($"block {block} and thread {thread} along axis {Axis} are at their limits")
                : PrimitiveOutcome.To(schedule with
                {
                    BlockTile = schedule.BlockTile.SetItem(Axis, block * 2),
                    ThreadTile = schedule.ThreadTile.SetItem(Axis, thread * 2),
                });
        }
        return thread / 2 < schedule.VirtualThreads[Axis]
            ? PrimitiveOutcome.Refused($"thread tile {thread} along axis {Axis} cannot shrink below its virtual threads")
            : PrimitiveOutcome.To(schedule with
            {
                BlockTile = schedule.BlockTile.SetItem(Axis, block / 2),
                ThreadTile = schedule.ThreadTile.SetItem(Axis, thread / 2),
            });
    }

    public override string ToString() => $"{(Grow ? "scale up" : "scale down")} work[{Axis}]";
}
