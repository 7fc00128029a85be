using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Moves the number of threads that share each output's reduction to the next
/// larger (grow) or smaller choice of the space (<see cref="ScheduleSpace.ReduceThreads"/>).
/// Sharing a reduction trades per-thread work for parallelism: what a
/// matrix-vector product or a row reduction with few outputs needs.
/// </summary>
public sealed record ResizeReduceThreads(bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var next = ChoiceSteps.Next(ScheduleSpace.For(op).ReduceThreads, schedule.ReduceThreads, Grow);
        return next is null
            ? PrimitiveOutcome.Refused($"{schedule.ReduceThreads} reduce threads have no {(Grow ? "larger" : "smaller")} choice")
            : PrimitiveOutcome.To(schedule with { ReduceThreads = next.Value });
    }

    public override string ToString() => $"{(Grow ? "grow" : "shrink")} reduce threads";
}
