using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Doubles or halves the virtual threads along spatial axis <paramref name="Axis"/>:
/// a thread's outputs become more (fewer) strided chunks, which brings
/// neighbouring threads' addresses closer (coalescing, fewer bank conflicts;
/// the Gensor paper's addition to Roller's space).
/// </summary>
public sealed record ResizeVirtualThreads(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var vthreads = schedule.VirtualThreads[Axis];
        if (Grow)
        {
            return vthreads * 2 > Math.Min(schedule.ThreadTile[Axis], ScheduleSpace.MaxVirtualThreads)
                ? PrimitiveOutcome.Refused($"{vthreads} virtual threads along axis {Axis} cannot grow past the thread tile or {ScheduleSpace.MaxVirtualThreads}")
                : PrimitiveOutcome.To(schedule with { VirtualThreads = schedule.VirtualThreads.SetItem(Axis, vthreads * 2) });
        }
        return vthreads == 1
            ? PrimitiveOutcome.Refused($"axis {Axis} has no virtual threads to remove")
            : PrimitiveOutcome.To(schedule with { VirtualThreads = schedule.VirtualThreads.SetItem(Axis, vthreads / 2) });
    }

    public override string ToString() => $"{(Grow ? "add" : "remove")} vthread[{Axis}]";
}
