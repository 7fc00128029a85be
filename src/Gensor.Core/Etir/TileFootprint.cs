namespace Gensor.Etir;

/// <summary>
/// The box of a tensor that one tile of the iteration space reads: per tensor
/// dimension, how many elements and where the box starts relative to the
/// value of the index expression at the tile's origin. For an index
/// <c>y*2+r-1</c> over a tile of 8 along y and 3 along r the box is
/// 2*7 + 1*2 + 1 = 17 elements long. Computed by
/// <see cref="Analysis.OperatorAnalysis.Box"/>, the one implementation of the
/// footprint, for the cost model, legality and the code generator alike.
/// </summary>
/// <param name="Tensor">The tensor read.</param>
/// <param name="Extents">Elements per tensor dimension.</param>
/// <param name="Offsets">
/// Where the box starts along each dimension, relative to the index evaluated
/// at the tile's origin (negative where a coefficient is negative).
/// </param>
public sealed record TileFootprint(string Tensor, ValueArray<int> Extents, ValueArray<int> Offsets)
{
    public long Elements => Extents.Aggregate(1L, (product, extent) => product * extent);
}
