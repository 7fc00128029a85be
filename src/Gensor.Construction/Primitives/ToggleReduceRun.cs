using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Gives each thread runs of four consecutive points of the innermost reduce axis, with the staged boxes of inputs
/// contiguous along it kept in their tensor's order (<see cref="Schedule.ReduceRun"/>), or takes the runs away. The
/// legality rules keep runs to steps they divide whole and to schedules that stage such an input.
/// </summary>
public sealed record ToggleReduceRun : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        schedule.SharedInputs.Count == 0
            ? PrimitiveOutcome.Refused("nothing is staged, so a reduce run has no staged box to keep in its tensor's order")
            : PrimitiveOutcome.To(schedule with { ReduceRun = schedule.ReduceRun == 1 ? 4 : 1 });

    public override string ToString() => "toggle reduce run";
}
