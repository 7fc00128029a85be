using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Halves block and thread tile along spatial axis <paramref name="From"/> and doubles both along
/// <paramref name="To"/>: the block keeps its threads and each thread its outputs, laid out along
/// another axis. It is the composition of two <see cref="ScaleThreadWork"/> edges whose middle state
/// has half (or twice) the work per thread, usually worse; as one edge it lets the walk reshape a
/// tile without crossing that valley (our addition: batch-32 ResNet-50 convolutions, whose good
/// tiles span the batch, were reached from Roller's batch-1 tiles by some seeds only).
/// </summary>
public sealed record MoveThreadWork(int From, int To) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        // The limits of the two ScaleThreadWork edges it composes, checked on the schedule itself:
        // one edge, without the middle state.
        if ((ScaleThreadWork.CannotGrow(op, schedule, To) ?? ScaleThreadWork.CannotShrink(schedule, From)) is { } reason)
        {
            return PrimitiveOutcome.Refused(reason);
        }
        return PrimitiveOutcome.To(schedule with
        {
            BlockTile = schedule.BlockTile.SetItem(From, schedule.BlockTile[From] / 2).SetItem(To, schedule.BlockTile[To] * 2),
            ThreadTile = schedule.ThreadTile.SetItem(From, schedule.ThreadTile[From] / 2).SetItem(To, schedule.ThreadTile[To] * 2),
        });
    }

    public override string ToString() => $"move work[{From}] to [{To}]";
}
