namespace Gensor.Etir;

/// <summary>
/// The box of a tensor that one tile of the iteration space reads: per tensor
/// dimension, how many elements and where the box starts relative to the
/// value of the index expression at the tile's origin. For an index
/// <c>y*2+r-1</c> over a tile of 8 along y and 3 along r the box is
/// 2*7 + 1*2 + 1 = 17 elements long.
/// Used by the cost model (traffic), by legality (shared-memory size) and by
/// the code generator (shared buffer shape), so all three agree.
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

    /// <summary>
    /// The box's extents as laid out in shared memory: the innermost row is
    /// longer by <paramref name="padding"/> elements when the box has more than
    /// one dimension (a one-dimensional box has no rows to separate).
    /// </summary>
    public int[] StoredExtents(int padding)
    {
        var extents = Extents.ToArray();
        if (extents.Length >= 2)
        {
            extents[^1] += padding;
        }
        return extents;
    }

    /// <summary>Elements the box occupies in shared memory with <paramref name="padding"/>.</summary>
    public long StoredElements(int padding) => StoredExtents(padding).Aggregate(1L, (product, extent) => product * extent);

    /// <summary>The footprint of <paramref name="read"/> over a tile of <paramref name="tileOf"/>(axis) points per axis.</summary>
    public static TileFootprint Of(TensorRead read, Func<string, int> tileOf)
    {
        var extents = new int[read.Indices.Count];
        var offsets = new int[read.Indices.Count];
        for (var d = 0; d < read.Indices.Count; d++)
        {
            var extent = 1;
            var offset = 0;
            foreach (var term in read.Indices[d].Terms)
            {
                var span = term.Coefficient * (tileOf(term.Axis) - 1);
                extent += Math.Abs(span);
                if (span < 0)
                {
                    offset += span;
                }
            }
            extents[d] = extent;
            offsets[d] = offset;
        }
        return new TileFootprint(read.Tensor, extents, offsets);
    }

    /// <summary>
    /// The footprint one block reads in one reduction stage: block tile along
    /// spatial axes, reduce step along reduce axes.
    /// </summary>
    public static TileFootprint OfBlockStage(Operator op, Schedule schedule, TensorRead read) =>
        Of(read, axis => BlockStageTile(op, schedule, axis));

    /// <summary>Points of <paramref name="axis"/> in one block's stage.</summary>
    public static int BlockStageTile(Operator op, Schedule schedule, string axis)
    {
        var spatial = 0;
        var reduce = 0;
        foreach (var a in op.Axes)
        {
            if (a.Name == axis)
            {
                return a.Kind == AxisKind.Spatial ? schedule.BlockTile[spatial] : schedule.ReduceStep[reduce];
            }
            if (a.Kind == AxisKind.Spatial)
            {
                spatial++;
            }
            else
            {
                reduce++;
            }
        }
        throw new ArgumentException($"no axis named '{axis}'", nameof(axis));
    }
}
