using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// A scheduling primitive: one edge of the construction graph. Like tinygrad's
/// <c>Opt</c>, it is a tiny immutable value; applying it to a schedule gives the
/// schedule it leads to, or the reason it does not apply. Primitives keep to
/// the <see cref="Space.ScheduleSpace"/> and to the structural rules; whether the
/// result fits a GPU is <see cref="Legality"/>'s question (see <see cref="PrimitiveSet.ApplyLegal"/>).
/// </summary>
public interface IPrimitive
{
    /// <summary>The schedule this primitive leads to from <paramref name="schedule"/>, or why it does not apply.</summary>
    PrimitiveOutcome Apply(Operator op, Schedule schedule);
}
