using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// Pooling. <c>MaxPool</c> is a <c>max=</c> reduction over the window and
/// <c>AveragePool</c> a <c>+=</c> one whose epilogue divides by the window's
/// element count; the global forms reduce over every spatial position. A read
/// outside the input is 0, which is exact for average pooling with
/// <c>count_include_pad</c> and for max pooling of a non-negative input (after
/// a ReLU, say); elsewhere the importer warns. Where the divisor varies with the
/// position (padding not counted, or a ceil_mode overhang) it is a product of
/// per-dimension reciprocals, constants the importer computes.
/// </summary>
internal static class PoolRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var x = context.FloatInput(node, 0);
        if (x.Rank < 3)
        {
            throw new UnsupportedNodeException($"input of rank {x.Rank} (pooling takes N x C x spatial)");
        }
        if (node.OutputAt(1) is not null)
        {
            throw new UnsupportedNodeException("the Indices output is used");
        }
        return node.OpType switch
        {
            "GlobalAveragePool" or "GlobalMaxPool" => [Global(node, name, x)],
            _ => [Windowed(node, name, x, context)],
        };
    }

    private static KernelDraft Windowed(NodeProto node, string name, TensorValue x, MappingContext context)
    {
        var isMax = node.OpType == "MaxPool";
        var k = x.Rank - 2;
        var spatial = Indices.Spatial(k);
        var window = Indices.Window(k);
        var kernel = node.Ints("kernel_shape") ?? throw new UnsupportedNodeException("no kernel_shape");
        if (!isMax && node.Find("dilations") is not null && context.Opset < 19)
        {
            throw new UnsupportedNodeException("dilations on AveragePool before opset 19");
        }
        if (node.String("auto_pad", "NOTSET") is "SAME_UPPER" or "SAME_LOWER" && node.Ints("dilations") is { } dilations && dilations.Any(d => d > 1))
        {
            // ONNX Runtime sizes this padding for the window without its dilation, the ONNX specification with it: outputs
            // of different shapes, so no result could be checked against the model's runtime (found by fuzzing).
            throw new UnsupportedNodeException("auto_pad SAME with dilations (ONNX Runtime and the ONNX specification pad differently)");
        }
        var geometry = WindowGeometry.Of(node, x.Shape.Skip(2).ToArray(), kernel, ceilMode: node.Int("ceil_mode", 0) != 0);
        var includePad = !isMax && node.Int("count_include_pad", 0) != 0;
        if (!includePad && geometry.EmptyWindow() is { } empty)
        {
            // Such a position has no input element: ONNX Runtime gives the lowest float (MaxPool) or 0 (AveragePool without
            // the padding counted), Gensor's reads of 0 would give 0 and 0/0 (found by fuzzing). Counting the padding, the
            // average of its zeros is 0 in both.
            throw new UnsupportedNodeException($"the window of output position {empty.Position} along spatial dimension {empty.Dimension + 1} lies wholly in the padding");
        }
        var axes = new List<(string, long)> { ("n", x.Shape[0]), ("c", x.Shape[1]) };
        axes.AddRange(spatial.Zip(geometry.Output));
        var output = new TensorValue(node.Output[0], geometry.OutputShape(x.Shape[0], x.Shape[1]), TensorValue.Float);
        var draft = new KernelDraft(name, node.OpType, name, axes, output, axes.Select(axis => Indices.Axis(axis.Item1)).ToArray())
        {
            Reduction = isMax ? Reduction.Max : Reduction.Sum,
        };
        for (var d = 0; d < k; d++)
        {
            if (kernel[d] > 1)
            {
                draft.AddReduceAxis(window[d], kernel[d]);
            }
        }
        var input = draft.Bind("I", x, x.Shape);
        draft.Body = Indices.Read(input, new[] { Indices.Axis("n"), Indices.Axis("c") }.Concat(Enumerable.Range(0, k).Select(d => geometry.InputIndex(d, spatial[d], window[d]))));
        if (isMax)
        {
            if (geometry.ReadsOutside && !x.NonNegative)
            {
                context.Warn($"{name}: MaxPool windows reach outside the input, where Gensor reads 0 and ONNX ignores the position; the results differ where a window holds only negative values");
            }
            return draft;
        }
        Expr divided = draft.Current;
        var constant = 1L;
        for (var d = 0; d < k; d++)
        {
            var counts = Enumerable.Range(0, (int)geometry.Output[d]).Select(o => geometry.Count(d, o, includePad)).ToArray();
            if (counts.Distinct().Count() == 1)
            {
                constant *= counts[0];
                continue;
            }
            var reciprocal = context.DefineConstant($"gensor:{name}:rcp_{spatial[d]}", [counts.Length], () => counts.Select(count => 1.0 / count).ToArray(), nonNegative: true);
            // Read as [1,...,extent,...,1] so the reciprocal broadcasts along its own spatial dimension only.
            var asShape = Enumerable.Repeat(1L, x.Rank).ToArray();
            asShape[2 + d] = counts.Length;
            divided = new Binary(BinaryOp.Multiply, divided, draft.ReadBroadcast($"rcp_{spatial[d]}", reciprocal, asShape));
        }
        draft.Set(constant == 1 ? divided : Divide(divided, constant));
        return draft;
    }

    private static KernelDraft Global(NodeProto node, string name, TensorValue x)
    {
        var k = x.Rank - 2;
        var window = Indices.Window(k);
        var output = new TensorValue(node.Output[0], ValueArray.From(new[] { x.Shape[0], x.Shape[1] }.Concat(Enumerable.Repeat(1L, k))), TensorValue.Float);
        // The output's spatial extents are 1: the operator writes [N, C], the same memory.
        var dims = new[] { Indices.Axis("n"), Indices.Axis("c") }.Concat(Enumerable.Repeat(Indices.Constant(0), k)).ToArray();
        var isMax = node.OpType == "GlobalMaxPool";
        var draft = new KernelDraft(name, node.OpType, name, [("n", x.Shape[0]), ("c", x.Shape[1])], output, dims)
        {
            Reduction = isMax ? Reduction.Max : Reduction.Sum,
        };
        var spatialIndex = new List<AffineIndex>();
        for (var d = 0; d < k; d++)
        {
            var extent = x.Shape[2 + d];
            if (extent > 1)
            {
                draft.AddReduceAxis(window[d], extent);
            }
            spatialIndex.Add(extent > 1 ? Indices.Axis(window[d]) : Indices.Constant(0));
        }
        draft.Body = Indices.Read(draft.Bind("I", x, x.Shape), new[] { Indices.Axis("n"), Indices.Axis("c") }.Concat(spatialIndex));
        var positions = x.Shape.Skip(2).Aggregate(1L, (product, extent) => product * extent);
        if (!isMax && positions > 1)
        {
            draft.Set(Divide(draft.Current, positions));
        }
        return draft;
    }

    private static Binary Divide(Expr value, long divisor) => new(BinaryOp.Divide, value, new Constant(divisor));
}
