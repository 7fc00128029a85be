using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>What applying a primitive gave: a new schedule, or the reason there is none.</summary>
public sealed record PrimitiveOutcome(Schedule? Schedule, string? Reason)
{
    public bool Applied => Schedule is not null;

    public static PrimitiveOutcome To(Schedule schedule) => new(schedule, null);

    public static PrimitiveOutcome Refused(string reason) => new(null, reason);
}
