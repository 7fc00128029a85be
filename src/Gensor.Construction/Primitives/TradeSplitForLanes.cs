using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Moves each output's reduction from blocks to lanes (<paramref name="ToLanes"/>) or back: the next
/// smaller split with the next larger choice of reduce threads, or the reverse. Both spread a long
/// reduction over more threads, combined by atomic additions between blocks or by shuffles within a
/// warp; walks settle in one or the other, and the states between them (neither, or both) are worse or
/// illegal (batch-32 fc from split 16 and 4 lanes: split 8 alone 28% worse, 32 lanes alone too many threads).
/// The composition of <see cref="ResizeSplit"/> and <see cref="ResizeReduceThreads"/> (our addition: on
/// h100, batch-32 ResNet-50's fc has its best known tile at 32 lanes and no split, 11% below the split tiles where
/// every seed of eight ended without this edge; with it, over the 56 suite operators and seeds 0-7 of
/// `Gensor.Bench seeds`, estimates 0.1% lower in geometric mean, 0.25% for seed 0, in 2% more states).
/// </summary>
public sealed record TradeSplitForLanes(bool ToLanes) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        new ResizeSplit(Grow: !ToLanes).Apply(op, schedule).Then(new ResizeReduceThreads(Grow: ToLanes), op);

    public override string ToString() => ToLanes ? "trade split for lanes" : "trade lanes for split";
}
