using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Moves the reduce step along reduce axis <paramref name="Axis"/> to the next
/// larger (grow) or smaller choice of the space: powers of two, then the full
/// extent (so a 3-wide window goes 1, 2, 3).
/// </summary>
public sealed record ResizeReduceStep(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var choices = ScheduleSpace.For(op).ReduceChoices(Axis);
        var step = schedule.ReduceStep[Axis];
        var index = -1;
        for (var i = 0; i < choices.Count; i++)
        {
            if (choices[i] == step)
            {
                index = i;
            }
        }
        var next = Grow ? index + 1 : index - 1;
        return index < 0 || next < 0 || next >= choices.Count
            ? PrimitiveOutcome.Refused($"reduce step {step} along reduce axis {Axis} has no {(Grow ? "larger" : "smaller")} choice")
            : PrimitiveOutcome.To(schedule with { ReduceStep = schedule.ReduceStep.SetItem(Axis, choices[next]) });
    }

    public override string ToString() => $"{(Grow ? "grow" : "shrink")} reduce[{Axis}]";
}
