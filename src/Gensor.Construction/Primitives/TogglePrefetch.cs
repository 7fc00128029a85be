using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Turns the register prefetch of the next stage on or off, with one buffer: off ends double buffering, which
/// needs it, and on replaces asynchronous copies, which fill the second buffer without it.
/// </summary>
public sealed record TogglePrefetch : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        schedule.SharedInputs.Count == 0
            ? PrimitiveOutcome.Refused("nothing is staged, so there is no next stage to prefetch")
            : PrimitiveOutcome.To(schedule with { RegisterPrefetch = !schedule.RegisterPrefetch, SharedBuffers = 1, AsyncCopy = false });

    public override string ToString() => "toggle prefetch";
}
