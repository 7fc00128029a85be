using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>Pads every staged row by 4 words (against bank conflicts), or removes the padding.</summary>
public sealed record TogglePadding : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        schedule.SharedInputs.Count == 0
            ? PrimitiveOutcome.Refused("nothing is staged, so there are no shared rows to pad")
            : PrimitiveOutcome.To(schedule with { SharedPadding = schedule.SharedPadding == 0 ? ScheduleSpace.Paddings[^1] : 0 });

    public override string ToString() => "toggle padding";
}
