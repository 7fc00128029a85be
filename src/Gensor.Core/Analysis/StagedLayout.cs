using Gensor.Etir;

namespace Gensor.Analysis;

/// <summary>
/// How the staged box of one read lies in shared memory: the box
/// (<see cref="TileFootprint"/>), row-major, with every row of a box of two or
/// more dimensions longer by <see cref="Padding"/> elements. The code generator
/// allocates and indexes it, legality counts its bytes and the cost model its
/// bank conflicts, all from this one value.
/// </summary>
/// <param name="Box">The tensor box one block reads in one stage.</param>
/// <param name="Padding">Extra elements at the end of each row (0 for a one-dimensional box).</param>
/// <param name="StoredExtents">Elements per box dimension as stored (the innermost one padded).</param>
/// <param name="Strides">Row-major strides of <paramref name="StoredExtents"/>, in elements.</param>
public sealed record StagedLayout(TileFootprint Box, int Padding, ValueArray<int> StoredExtents, ValueArray<long> Strides)
{
    /// <summary>Elements the box occupies in shared memory, padding included.</summary>
    public long StoredElements => StoredExtents.Aggregate(1L, (product, extent) => product * extent);

    /// <summary>
    /// Whether the buffer is allocated in 16-byte units (Float4), which makes it
    /// 16-byte aligned for 128-bit shared loads and stores.
    /// </summary>
    public bool QuadAllocated => StoredElements % 4 == 0;
}
