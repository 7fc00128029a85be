using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>Stages input <paramref name="Tensor"/> in shared memory, or stops staging it.</summary>
public sealed record ToggleStaging(string Tensor) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        var space = ScheduleSpace.For(op);
        if (!space.StageableInputs.Contains(Tensor))
        {
            return PrimitiveOutcome.Refused($"'{Tensor}' cannot be staged in shared memory");
        }
        var shared = schedule.IsShared(Tensor)
            ? schedule.SharedInputs.Where(name => name != Tensor)
            : schedule.SharedInputs.Append(Tensor);
        var staged = space.CanonicalShared(shared);
        // With nothing staged there is no copy: its vector width, padding, prefetch, buffers, asynchronous copies and
        // the staged layout of a reduce run reset.
        return PrimitiveOutcome.To(staged.Count > 0
            ? schedule with { SharedInputs = staged }
            : schedule with { SharedInputs = staged, VectorWidth = 1, SharedPadding = 0, RegisterPrefetch = false, SharedBuffers = 1, AsyncCopy = false, ReduceRun = 1 });
    }

    public override string ToString() => $"toggle shared {Tensor}";
}
