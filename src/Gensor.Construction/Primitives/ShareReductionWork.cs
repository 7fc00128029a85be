using Gensor.Etir;

namespace Gensor.Construction.Primitives;

/// <summary>
/// Moves to the next larger (grow) or smaller choice of reduce threads and doubles (or halves) the
/// thread tile along spatial axis <paramref name="Axis"/> with it: more lanes share each output's
/// reduction while each thread keeps more outputs, so the block does not balloon in threads. It is
/// the composition of <see cref="ResizeReduceThreads"/> and <see cref="ResizeThreadTile"/>, whose
/// middle state (lanes added to a tile sized for one lane) is usually much worse; as one edge it lets
/// the walk reach lane-shared tiles from one-lane ones (our addition: on h100 the optimum of GPT-2's
/// QKV GEMM is such a tile, 8% uphill through that middle state from the staged tile the walk finds
/// first; over the 56 suite operators and seeds 0-7 of `Gensor.Bench seeds`, with 7 walkers and one
/// final descent, the edges lowered the estimates 0.5% in geometric mean, 1.1% for seed 0, and
/// attention projection's worst seed from 1.104 to 1.009 of the best, in 8.7% more states).
/// </summary>
public sealed record ShareReductionWork(int Axis, bool Grow) : IPrimitive
{
    public PrimitiveOutcome Apply(Operator op, Schedule schedule) =>
        new ResizeReduceThreads(Grow).Apply(op, schedule).Then(new ResizeThreadTile(Axis, Grow), op);

    public override string ToString() => $"{(Grow ? "share" : "unshare")} reduction with thread[{Axis}]";
}
