namespace Gensor.Etir;

/// <summary>
/// Fuses two axes into one where that changes no address: the axes are of one kind, next to
/// each other in the operator's axis order, and every tensor that uses either of them indexes
/// both plainly in two neighbouring dimensions, the inner one as long as its axis. A 1×1
/// convolution over NCHW tensors, <c>O[b,f,y,x] += I[b,c,y,x] * W[f,c]</c>, becomes the batched
/// matrix product <c>O[b,f,y_x] += I[b,c,y_x] * W[f,c]</c>: its y and x were one contiguous run
/// of memory all along, and as one axis a tile can span whole rows of it, with 128-bit loads
/// along it (14 × 14 pixels no longer pad to 16 × 16 tiles). The tensors keep their elements
/// and their row-major order; only their shapes name the fused dimensions as one.
/// </summary>
public static class AxisFusion
{
    /// <summary>The operator with every fusable pair of axes fused, repeatedly (three axes can become one).</summary>
    public static Operator Apply(Operator op)
    {
        while (FirstFusablePair(op) is var (outer, inner, dimensions))
        {
            op = Fuse(op, outer, inner, dimensions);
        }
        return op;
    }

    private static (Axis Outer, Axis Inner, Dictionary<string, int> Dimensions)? FirstFusablePair(Operator op)
    {
        for (var i = 0; i + 1 < op.Axes.Count; i++)
        {
            var (outer, inner) = (op.Axes[i], op.Axes[i + 1]);
            if (outer.Kind == inner.Kind && (long)outer.Extent * inner.Extent <= int.MaxValue && PairDimensions(op, outer, inner) is { } dimensions)
            {
                return (outer, inner, dimensions);
            }
        }
        return null;
    }

    /// <summary>
    /// The dimension at which each tensor using the pair holds it (outer there, inner next), or
    /// null when some tensor uses either axis otherwise; tensors that use neither are left out.
    /// </summary>
    private static Dictionary<string, int>? PairDimensions(Operator op, Axis outer, Axis inner)
    {
        var dimensions = new Dictionary<string, int>();
        if (outer.Kind == AxisKind.Spatial)
        {
            // The output is indexed by the spatial axes in order, each as long as its axis, and so
            // are its epilogue reads: two neighbouring spatial axes are neighbours in it.
            dimensions[op.Output.Name] = op.SpatialAxes.Select(axis => axis.Name).ToList().IndexOf(outer.Name);
        }
        foreach (var reads in AllReads(op).Where(read => read.Tensor != op.Output.Name).GroupBy(read => read.Tensor))
        {
            if (!reads.Any(read => read.Indices.Any(index => index.Uses(outer.Name) || index.Uses(inner.Name))))
            {
                continue;
            }
            // Every read of the tensor must index it the same way in the fused dimensions: plain
            // outer then plain inner, and nowhere else (a shifted or strided read means padding
            // or holes that one fused index could not express).
            var at = reads.Select(read => PlainPairPosition(read, outer.Name, inner.Name)).Distinct().ToList();
            if (at is not [var dimension] || dimension < 0 || op.InputNamed(reads.Key).Shape[dimension + 1] != inner.Extent)
            {
                return null;
            }
            dimensions[reads.Key] = dimension;
        }
        return dimensions;
    }

    /// <summary>Where a read indexes outer then inner plainly in neighbouring dimensions, using neither elsewhere; -1 otherwise.</summary>
    private static int PlainPairPosition(TensorRead read, string outer, string inner)
    {
        for (var d = 0; d + 1 < read.Indices.Count; d++)
        {
            if (read.Indices[d].PlainAxis == outer && read.Indices[d + 1].PlainAxis == inner)
            {
                var elsewhere = read.Indices.Where((index, i) => i != d && i != d + 1 && (index.Uses(outer) || index.Uses(inner)));
                return elsewhere.Any() ? -1 : d;
            }
        }
        return -1;
    }

    private static IEnumerable<TensorRead> AllReads(Operator op) => op.Body.Reads().Concat(op.Epilogue?.Reads() ?? []);

    private static Operator Fuse(Operator op, Axis outer, Axis inner, Dictionary<string, int> dimensions)
    {
        var name = FreshName(op, $"{outer.Name}_{inner.Name}");
        IEnumerable<string> Originals(Axis axis) => axis.FusedFrom.Count > 0 ? axis.FusedFrom : [axis.Name];
        var fused = new Axis(name, outer.Extent * inner.Extent, outer.Kind) { FusedFrom = ValueArray.From(Originals(outer).Concat(Originals(inner))) };
        var axes = op.Axes.Where(axis => axis != inner).Select(axis => axis == outer ? fused : axis);
        Tensor Reshape(Tensor tensor)
        {
            if (!dimensions.TryGetValue(tensor.Name, out var at))
            {
                return tensor;
            }
            var shape = tensor.Shape.ToList();
            shape[at] *= shape[at + 1];
            shape.RemoveAt(at + 1);
            return tensor with { Shape = ValueArray.From(shape) };
        }
        Expr Rewrite(Expr expr) => expr switch
        {
            TensorRead read when dimensions.TryGetValue(read.Tensor, out var at) => read with
            {
                Indices = ValueArray.From(read.Indices.Where((_, i) => i != at + 1).Select((index, i) => i == at ? AffineIndex.OfAxis(fused.Name) : index)),
            },
            Unary unary => unary with { Operand = Rewrite(unary.Operand) },
            Binary binary => binary with { Left = Rewrite(binary.Left), Right = Rewrite(binary.Right) },
            _ => expr,
        };
        return op with
        {
            Output = Reshape(op.Output),
            Axes = ValueArray.From(axes),
            Inputs = ValueArray.From(op.Inputs.Select(Reshape)),
            Body = Rewrite(op.Body),
            Epilogue = op.Epilogue is null ? null : Rewrite(op.Epilogue),
        };
    }

    /// <summary>outer_inner, or with a number after it when an axis or tensor already has that name.</summary>
    private static string FreshName(Operator op, string wanted)
    {
        var taken = op.Axes.Select(axis => axis.Name).Concat(op.Inputs.Prepend(op.Output).Select(tensor => tensor.Name)).ToHashSet();
        var name = wanted;
        for (var n = 2; taken.Contains(name); n++)
        {
            name = $"{wanted}{n}";
        }
        return name;
    }
}
