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
        while (FirstFusablePair(op) is var (outer, inner))
        {
            op = Fuse(op, outer, inner);
        }
        return op;
    }

    private static (Axis Outer, Axis Inner)? FirstFusablePair(Operator op)
    {
        for (var i = 0; i + 1 < op.Axes.Count; i++)
        {
            var (outer, inner) = (op.Axes[i], op.Axes[i + 1]);
            if (outer.Kind == inner.Kind && (long)outer.Extent * inner.Extent <= int.MaxValue && Fusable(op, outer, inner))
            {
                return (outer, inner);
            }
        }
        return null;
    }

    private static bool Fusable(Operator op, Axis outer, Axis inner)
    {
        var reads = AllReads(op).ToList();
        // The output is indexed by the spatial axes in order, so two neighbouring spatial axes
        // are neighbours in it; its epilogue reads are that same plain index.
        foreach (var tensor in op.Inputs.Prepend(op.Output))
        {
            var ofTensor = reads.Where(read => read.Tensor == tensor.Name).ToList();
            var uses = ofTensor.Any(read => read.Indices.Any(index => index.Uses(outer.Name) || index.Uses(inner.Name)));
            if (tensor == op.Output && outer.Kind == AxisKind.Spatial)
            {
                var position = op.SpatialAxes.Select(axis => axis.Name).ToList().IndexOf(outer.Name);
                if (tensor.Shape[position + 1] != inner.Extent)
                {
                    return false;
                }
                uses = false; // checked: the output's own index, and its epilogue reads, are the spatial axes in order
            }
            if (!uses)
            {
                continue;
            }
            // Every read of the tensor must index it the same way in the fused dimensions: plain
            // outer then plain inner, and nowhere else (a shifted or strided read means padding
            // or holes that one fused index could not express).
            var at = PlainPairPosition(ofTensor[0], outer.Name, inner.Name);
            if (at < 0 || tensor.Shape[at + 1] != inner.Extent || ofTensor.Any(read => PlainPairPosition(read, outer.Name, inner.Name) != at))
            {
                return false;
            }
        }
        return true;
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

    private static Operator Fuse(Operator op, Axis outer, Axis inner)
    {
        var name = FreshName(op, $"{outer.Name}_{inner.Name}");
        IEnumerable<string> Originals(Axis axis) => axis.FusedFrom.Count > 0 ? axis.FusedFrom : [axis.Name];
        var fused = new Axis(name, outer.Extent * inner.Extent, outer.Kind) { FusedFrom = ValueArray.From(Originals(outer).Concat(Originals(inner))) };
        var axes = op.Axes.Where(axis => axis != inner).Select(axis => axis == outer ? fused : axis);
        var reads = AllReads(op).ToList();
        Tensor Reshape(Tensor tensor)
        {
            int at;
            if (tensor == op.Output)
            {
                if (outer.Kind != AxisKind.Spatial)
                {
                    return tensor;
                }
                at = op.SpatialAxes.Select(axis => axis.Name).ToList().IndexOf(outer.Name);
            }
            else
            {
                var read = reads.FirstOrDefault(read => read.Tensor == tensor.Name && PlainPairPosition(read, outer.Name, inner.Name) >= 0);
                if (read is null)
                {
                    return tensor;
                }
                at = PlainPairPosition(read, outer.Name, inner.Name);
            }
            var shape = tensor.Shape.ToList();
            shape[at] *= shape[at + 1];
            shape.RemoveAt(at + 1);
            return tensor with { Shape = ValueArray.From(shape) };
        }
        return op with
        {
            Output = Reshape(op.Output),
            Axes = ValueArray.From(axes),
            Inputs = ValueArray.From(op.Inputs.Select(Reshape)),
            Body = Rewrite(op.Body, outer.Name, inner.Name, fused.Name),
            Epilogue = op.Epilogue is null ? null : Rewrite(op.Epilogue, outer.Name, inner.Name, fused.Name),
        };
    }

    private static Expr Rewrite(Expr expr, string outer, string inner, string fused)
    {
        switch (expr)
        {
            case TensorRead read when PlainPairPosition(read, outer, inner) is var at && at >= 0:
                var indices = read.Indices.Where((_, i) => i != at + 1).Select((index, i) => i == at ? AffineIndex.OfAxis(fused) : index);
                return read with { Indices = ValueArray.From(indices) };
            case Unary unary:
                return unary with { Operand = Rewrite(unary.Operand, outer, inner, fused) };
            case Binary binary:
                return binary with { Left = Rewrite(binary.Left, outer, inner, fused), Right = Rewrite(binary.Right, outer, inner, fused) };
            default:
                return expr;
        }
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
