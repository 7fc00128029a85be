using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Moves the number of blocks that share each block tile's reduction to the next
/// larger (grow) or smaller choice of the space (<see cref="ScheduleSpace.Splits"/>),
/// or (<paramref name="Undo"/>) back to no split at once. Splitting the reduction
/// trades atomic additions into the output for blocks: what a small output with a
/// long reduction needs to fill the GPU. Much of its price does not shrink with the
/// split (clearing the output is a second operation on the stream), so a walk that
/// could only step down one choice at a time would have to cross worse states to undo it.
/// </summary>
public sealed record ResizeSplit(bool Grow, bool Undo = false) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var next = ChoiceSteps.Next(ScheduleSpace.For(op).Splits, schedule.SplitReduce, Grow, toFirst: Undo);
        return next is null
            ? PrimitiveOutcome.Refused($"split={schedule.SplitReduce} has no {(Undo ? "undoing" : Grow ? "larger" : "smaller")} choice")
            : PrimitiveOutcome.To(schedule with { SplitReduce = next.Value });
    }

    public override string ToString() => Undo ? "no split" : $"{(Grow ? "grow" : "shrink")} split";
}
