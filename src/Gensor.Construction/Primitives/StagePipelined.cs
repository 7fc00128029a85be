using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Stages input <paramref name="Tensor"/> in shared memory with the copies prefetched and
/// double-buffered, in one move. Staging alone gives a single-buffered stage, whose wait for its
/// copy the cost model charges in full: from a kernel that reads its operands through L1, that
/// first step can look worse than both its ends, and a walk of single moves stopped before it
/// (batch-1 ResNet-50's first convolution for h100: seeds 0-7 ended 1.18x above the best of the
/// eight in geometric mean, 1.35x at worst, most of them reading through L1; 1.05x and 1.09x with this edge).
/// </summary>
public sealed record StagePipelined(string Tensor) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        if (schedule.IsShared(Tensor))
        {
            return PrimitiveOutcome.Refused($"'{Tensor}' is staged already");
        }
        if (schedule.SharedBuffers == 2)
        {
            return PrimitiveOutcome.Refused("the copies are pipelined already: staging is the toggle's move");
        }
        // Staging itself (what can be staged, in which order) is ToggleStaging's; this adds the pipelining.
        var staged = new ToggleStaging(Tensor).Apply(op, schedule);
        return staged.Schedule is { } next ? PrimitiveOutcome.To(next with { RegisterPrefetch = true, SharedBuffers = 2 }) : staged;
    }

    public override string ToString() => $"stage {Tensor} pipelined";
}
