using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>Doubles (grow) or halves (shrink) the block tile along spatial axis <paramref name="Axis"/>.</summary>
public sealed record ResizeBlockTile(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var block = schedule.BlockTile[Axis];
        if (Grow)
        {
            return block * 2 > ScheduleSpace.For(op).BlockCap(Axis)
                ? PrimitiveOutcome.Refused($"block tile {block} along axis {Axis} already covers the extent")
                : PrimitiveOutcome.To(schedule with { BlockTile = schedule.BlockTile.SetItem(Axis, block * 2) });
        }
        return block / 2 < schedule.ThreadTile[Axis]
            ? PrimitiveOutcome.Refused($"block tile {block} along axis {Axis} cannot shrink below the thread tile")
            : PrimitiveOutcome.To(schedule with { BlockTile = schedule.BlockTile.SetItem(Axis, block / 2) });
    }

    public override string ToString() => $"{(Grow ? "grow" : "shrink")} block[{Axis}]";
}
