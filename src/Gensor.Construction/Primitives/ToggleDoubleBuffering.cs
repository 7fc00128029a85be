using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Switches between one and two shared buffers per staged input. Two let the
/// next stage be stored while this one is read, so a stage needs one barrier
/// instead of two; the register prefetch brings the next stage's data, so it
/// comes on with them (<see cref="ToggleAsyncCopy"/> trades it for asynchronous copies,
/// which go with the second buffer when it goes).
/// </summary>
public sealed record ToggleDoubleBuffering : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        schedule.SharedInputs.Count == 0
            ? PrimitiveOutcome.Refused("nothing is staged, so there is no buffer to double")
            : PrimitiveOutcome.To(schedule.SharedBuffers == 2
                ? schedule with { SharedBuffers = 1, AsyncCopy = false }
                : schedule with { SharedBuffers = 2, RegisterPrefetch = true });

    public override string ToString() => "toggle double buffering";
}
