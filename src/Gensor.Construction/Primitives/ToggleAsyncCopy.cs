using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Fills a double-buffered stage's second buffer by asynchronous copies (<c>cp.async</c>, sm_80 and later)
/// instead of the register prefetch, or back. The copies then hold no registers and need no shared stores of
/// their own; the legality rules keep them to profiles that have them and to float32 boxes.
/// </summary>
public sealed record ToggleAsyncCopy : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        schedule.SharedBuffers != 2
            ? PrimitiveOutcome.Refused("only a double-buffered stage (buffers=2) is filled by asynchronous copies")
            : PrimitiveOutcome.To(schedule with { AsyncCopy = !schedule.AsyncCopy, RegisterPrefetch = schedule.AsyncCopy });

    public override string ToString() => "toggle asynchronous copies";
}
