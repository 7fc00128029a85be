using Gensor.Etir;

namespace Gensor.Analysis;

/// <summary>
/// How the staged box of one read lies in shared memory: the box
/// (<see cref="TileFootprint"/>) with its dimensions stored in
/// <see cref="Order"/> (outermost first), the innermost stored row longer by
/// <see cref="Padding"/> elements when the box has two or more dimensions.
/// The code generator allocates and indexes it, legality counts its bytes and
/// the cost model its bank conflicts, all from this one value.
/// </summary>
/// <param name="Box">The tensor box one block reads in one stage.</param>
/// <param name="Padding">Extra elements at the end of each stored row (0 for a one-dimensional box).</param>
/// <param name="Order">The box's tensor dimensions in storage order, outermost first.</param>
/// <param name="Strides">The stored stride of every tensor dimension, in tensor-dimension order, in elements.</param>
/// <param name="StoredElements">Elements the box occupies in shared memory, padding included.</param>
public sealed record StagedLayout(TileFootprint Box, int Padding, ValueArray<int> Order, ValueArray<long> Strides, long StoredElements)
{
    /// <summary>
    /// Whether the buffer is allocated in 16-byte units (Float4), which makes it
    /// 16-byte aligned for 128-bit shared loads and stores.
    /// </summary>
    public bool QuadAllocated => StoredElements % 4 == 0;

    /// <summary>Whether the box is stored in another order than the tensor's (transposed).</summary>
    public bool Transposed => Order.Select((d, i) => d != i).Any(moved => moved);

    /// <summary>Where box element <paramref name="coordinates"/> (one per tensor dimension) is stored.</summary>
    public long OffsetOf(IReadOnlyList<long> coordinates)
    {
        long offset = 0;
        for (var d = 0; d < coordinates.Count; d++)
        {
            offset += coordinates[d] * Strides[d];
        }
        return offset;
    }
}
