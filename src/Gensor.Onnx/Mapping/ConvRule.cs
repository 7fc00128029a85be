using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// <c>Conv</c> (1 to 3 spatial dimensions): a sum over input channels and the
/// window, with strides, dilations and padding in the input's affine index
/// (padding is a read outside the input, which is 0). Groups split the channel
/// axis: a group axis <c>g</c> indexes both the input channels (<c>g*Cg+c</c>)
/// and the filters; depthwise convolution is the case of one channel per group.
/// The bias becomes the epilogue.
/// </summary>
internal static class ConvRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var x = context.FloatInput(node, 0);
        var w = context.FloatInput(node, 1);
        var bias = context.OptionalFloatInput(node, 2);
        if (x.Rank < 3 || w.Rank != x.Rank)
        {
            throw new UnsupportedNodeException($"input of rank {x.Rank} with weights of rank {w.Rank}");
        }
        var k = x.Rank - 2;
        var spatial = Indices.Spatial(k);
        var window = Indices.Window(k);
        long batch = x.Shape[0], channels = x.Shape[1], filters = w.Shape[0], perGroup = w.Shape[1];
        var groups = node.Int("group", 1);
        if (groups < 1 || channels != perGroup * groups || filters % groups != 0)
        {
            throw new UnsupportedNodeException($"group {groups} does not fit {channels} input channels and weights [{string.Join("x", w.Shape)}]");
        }
        var kernel = w.Shape.Skip(2).ToArray();
        if (node.Ints("kernel_shape") is { } given && !given.SequenceEqual(kernel))
        {
            throw new UnsupportedNodeException($"kernel_shape [{string.Join("x", given)}] differs from the weights' [{string.Join("x", kernel)}]");
        }
        var geometry = WindowGeometry.Of(node, x.Shape.Skip(2).ToArray(), kernel, ceilMode: false);
        var filtersPerGroup = filters / groups;

        var axes = new List<(string, long)> { ("n", batch) };
        AffineIndex outChannel, inChannel, weightFilter;
        var weightChannel = perGroup > 1 ? Indices.Axis("c") : Indices.Constant(0);
        if (groups == 1)
        {
            axes.Add(("f", filters));
            outChannel = weightFilter = Indices.Axis("f");
            inChannel = weightChannel;
        }
        else
        {
            axes.Add(("g", groups));
            if (filtersPerGroup > 1)
            {
                axes.Add(("f", filtersPerGroup));
            }
            // The output [N, G, F/G, ...] is the same memory as ONNX's [N, F, ...]; filter g*F/G+f.
            outChannel = weightFilter = Indices.Sum(0, ("g", filtersPerGroup), ("f", filtersPerGroup > 1 ? 1 : 0));
            inChannel = Indices.Sum(0, ("g", perGroup), ("c", perGroup > 1 ? 1 : 0));
        }
        axes.AddRange(spatial.Zip(geometry.Output));
        var output = new TensorValue(node.Output[0], geometry.OutputShape(batch, filters), TensorValue.Float);
        var dims = new[] { Indices.Axis("n"), outChannel }.Concat(spatial.Select(Indices.Axis)).ToArray();
        var draft = new KernelDraft(name, "Conv", name, axes, output, dims) { Reduction = Reduction.Sum };
        if (perGroup > 1)
        {
            draft.AddReduceAxis("c", perGroup);
        }
        for (var d = 0; d < k; d++)
        {
            if (kernel[d] > 1)
            {
                draft.AddReduceAxis(window[d], kernel[d]);
            }
        }
        var input = draft.Bind("I", x, x.Shape);
        var weights = draft.Bind("W", w, w.Shape);
        var inputIndex = new[] { Indices.Axis("n"), inChannel }.Concat(Enumerable.Range(0, k).Select(d => geometry.InputIndex(d, spatial[d], window[d])));
        var weightIndex = new[] { weightFilter, weightChannel }.Concat(Enumerable.Range(0, k).Select(d => kernel[d] > 1 ? Indices.Axis(window[d]) : Indices.Constant(0)));
        draft.Body = new Binary(BinaryOp.Multiply, Indices.Read(input, inputIndex), Indices.Read(weights, weightIndex));
        if (bias is not null)
        {
            if (bias.Shape.Count != 1 || bias.Shape[0] != filters)
            {
                throw new UnsupportedNodeException($"bias of shape [{string.Join("x", bias.Shape)}] for {filters} filters");
            }
            // The bias is per filter: broadcast it as [F,1,...,1] against the output.
            var asShape = new[] { filters }.Concat(Enumerable.Repeat(1L, k)).ToArray();
            draft.Set(new Binary(BinaryOp.Add, draft.Current, draft.ReadBroadcast("bias", bias, asShape)));
        }
        return [draft];
    }
}
