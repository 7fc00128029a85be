using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>What applying a primitive gave: a new schedule, or the reason there is none.</summary>
public sealed record PrimitiveOutcome(Schedule? Schedule, string? Reason)
{
    public bool Applied => Schedule is not null;

    public static PrimitiveOutcome To(Schedule schedule) => new(schedule, null);

    public static PrimitiveOutcome Refused(string reason) => new(null, reason);

    /// <summary>
    /// <paramref name="next"/> applied to this outcome's schedule, or this refusal: two primitives as one
    /// edge, whose middle state the walk never has to stand on.
    /// </summary>
    public PrimitiveOutcome Then(IPrimitive next, Operator op) => Schedule is { } middle ? next.Apply(op, middle) : this;
}
