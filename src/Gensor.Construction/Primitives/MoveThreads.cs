using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Halves the block tile along spatial axis <paramref name="From"/> and doubles it along
/// <paramref name="To"/>, thread tiles unchanged: the block keeps its threads and each thread its
/// outputs, the threads laid out along another axis. It is the composition of two
/// <see cref="ResizeBlockTile"/> edges whose middle state has half (or twice) the threads; as one
/// edge it lets the walk reshape a block without crossing that valley (our addition: batch-32
/// ResNet-50 s3_conv3x3_stride2, whose 14x14 images fill a 16x16 block tile to 77%, had seeds
/// stay with image tiles where the best tile spans the batch).
/// </summary>
public sealed record MoveThreads(int From, int To) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        new ResizeBlockTile(From, Grow: false).Apply(op, schedule).Then(new ResizeBlockTile(To, Grow: true), op);

    public override string ToString() => $"move threads[{From}] to [{To}]";
}
