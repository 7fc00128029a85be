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
        var choices = ScheduleSpace.For(op).ReduceThreads;
        var index = -1;
        for (var i = 0; i < choices.Count; i++)
        {
            if (choices[i] == schedule.ReduceThreads)
            {
                index = i;
            }
        }
        var next = Grow ? index + 1 : index - 1;
        return index < 0 || next < 0 || next >= choices.Count
            ? PrimitiveOutcome.Refused($"{schedule.ReduceThreads} reduce threads have no {(Grow ? "larger" : "smaller")} choice")
            : PrimitiveOutcome.To(schedule with { ReduceThreads = choices[next] });
    }

    public override string ToString() => $"{(Grow ? "grow" : "shrink")} reduce threads";
}
