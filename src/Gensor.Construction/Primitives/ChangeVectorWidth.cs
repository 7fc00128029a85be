using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>Doubles (up to 4) or halves (down to 1) the vector width of the cooperative copy.</summary>
public sealed record ChangeVectorWidth(bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule)
    {
        if (schedule.SharedInputs.Count == 0)
        {
            return PrimitiveOutcome.Refused("nothing is staged, so there is no copy to vectorize");
        }
        var width = Grow ? schedule.VectorWidth * 2 : schedule.VectorWidth / 2;
        return width is 1 or 2 or 4
            ? PrimitiveOutcome.To(schedule with { VectorWidth = width })
            : PrimitiveOutcome.Refused($"vector width {schedule.VectorWidth} cannot {(Grow ? "grow" : "shrink")}");
    }

    public override string ToString() => $"{(Grow ? "widen" : "narrow")} vector";
}
