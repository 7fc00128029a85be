using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// The sliding window of a convolution or pooling along its spatial dimensions:
/// strides, dilations, the padding at each end (explicit or from <c>auto_pad</c>),
/// and the output extents that follow.
/// </summary>
internal sealed record WindowGeometry(long[] Input, long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd, long[] Output)
{
    public int Rank => Input.Length;

    /// <summary>Reads the window attributes of <paramref name="node"/> for an input of spatial extents <paramref name="input"/>.</summary>
    /// <exception cref="UnsupportedNodeException">Attributes of the wrong length, or a window larger than the padded input.</exception>
    public static WindowGeometry Of(NodeProto node, long[] input, long[] kernel, bool ceilMode)
    {
        var rank = input.Length;
        var strides = node.Ints("strides") ?? Enumerable.Repeat(1L, rank).ToArray();
        var dilations = node.Ints("dilations") ?? Enumerable.Repeat(1L, rank).ToArray();
        var pads = node.Ints("pads") ?? new long[2 * rank];
        if (strides.Length != rank || dilations.Length != rank || pads.Length != 2 * rank || kernel.Length != rank)
        {
            throw new UnsupportedNodeException($"strides, dilations, pads or kernel_shape do not match {rank} spatial dimensions");
        }
        if (strides.Any(s => s < 1) || dilations.Any(d => d < 1) || pads.Any(p => p < 0) || kernel.Any(k => k < 1))
        {
            throw new UnsupportedNodeException("a stride, dilation or kernel extent below 1, or a negative pad");
        }
        // Index coefficients and constants are 32-bit: larger ones cannot be written as an index.
        if (strides.Concat(dilations).Concat(pads).Concat(kernel).Any(value => value > int.MaxValue / 2))
        {
            throw new UnsupportedNodeException($"a stride, dilation, pad or kernel extent above {int.MaxValue / 2}");
        }
        var begin = pads[..rank];
        var end = pads[rank..];
        var autoPad = node.String("auto_pad", "NOTSET");
        var output = new long[rank];
        for (var d = 0; d < rank; d++)
        {
            var span = (dilations[d] * (kernel[d] - 1)) + 1;
            switch (autoPad)
            {
                case "NOTSET":
                    break;
                case "VALID":
                    begin[d] = end[d] = 0;
                    break;
                case "SAME_UPPER" or "SAME_LOWER":
                {
                    // The output keeps ceil(input / stride) positions; the padding that needs is split, the odd one at the end for
                    // SAME_UPPER. A stride longer than the window can make it negative: at -1 ONNX Runtime reads as with none, further
                    // below its windows start inside the input by amounts no rule of the specification gives (-3: 1 element in for
                    // SAME_UPPER, none for SAME_LOWER; -2: none; -7: 3 and 2), and its pooling refuses the model. Clamping read other
                    // elements than ONNX Runtime's and claimed success (found by fuzzing), so such a node is unsupported.
                    var wanted = (input[d] + strides[d] - 1) / strides[d];
                    var total = ((wanted - 1) * strides[d]) + span - input[d];
                    if (total < -1)
                    {
                        throw new UnsupportedNodeException($"auto_pad {autoPad} needs a padding of {total} in spatial dimension {d + 1} (a stride longer than the window), where ONNX Runtime's windows follow no rule");
                    }
                    total = Math.Max(0, total);
                    begin[d] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                    end[d] = total - begin[d];
                    break;
                }
                default:
                    throw new UnsupportedNodeException($"auto_pad '{autoPad}'");
            }
            var room = input[d] + begin[d] + end[d] - span;
            if (room < 0)
            {
                throw new UnsupportedNodeException($"the window ({span}) is larger than the padded input ({input[d] + begin[d] + end[d]}) in spatial dimension {d + 1}");
            }
            output[d] = (ceilMode ? (room + strides[d] - 1) / strides[d] : room / strides[d]) + 1;
            // With ceil_mode a last window that would start inside the end padding is dropped (ONNX Runtime and PyTorch agree).
            if (ceilMode && (output[d] - 1) * strides[d] >= input[d] + begin[d])
            {
                output[d]--;
            }
        }
        return new WindowGeometry(input, kernel, strides, dilations, begin, end, output);
    }

    /// <summary>Whether some window reads outside the input (zero padding, or a ceil_mode overhang).</summary>
    public bool ReadsOutside => Enumerable.Range(0, Rank).Any(d =>
        PadsBegin[d] > 0 || ((Output[d] - 1) * Strides[d]) - PadsBegin[d] + Span(d) > Input[d]);

    /// <summary>Input positions one window covers along spatial dimension <paramref name="d"/>, gaps of its dilation included.</summary>
    private long Span(int d) => (Dilations[d] * (Kernel[d] - 1)) + 1;

    /// <summary>The input index along spatial dimension <paramref name="d"/>: <c>y*stride + r*dilation - pad</c>, without the window axis where the window is 1 wide.</summary>
    public AffineIndex InputIndex(int d, string outputAxis, string windowAxis) =>
        Indices.Sum(-PadsBegin[d], (outputAxis, Strides[d]), (windowAxis, Kernel[d] > 1 ? Dilations[d] : 0));

    /// <summary>The first output position, and its spatial dimension, whose window holds no input element (only padding), or null.</summary>
    public (int Dimension, long Position)? EmptyWindow()
    {
        for (var d = 0; d < Rank; d++)
        {
            // Only a window that starts before the input or ends after it can miss it: look from both ends inwards.
            for (var o = 0L; o < Output[d] && (o * Strides[d]) - PadsBegin[d] < 0; o++)
            {
                if (Count(d, o, includePad: false) == 0)
                {
                    return (d, o);
                }
            }
            for (var o = Output[d] - 1; o >= 0 && (o * Strides[d]) - PadsBegin[d] + Span(d) > Input[d]; o--)
            {
                if (Count(d, o, includePad: false) == 0)
                {
                    return (d, o);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// How many window positions of output <paramref name="o"/> along dimension <paramref name="d"/>
    /// fall inside the input, or with <paramref name="includePad"/> inside the padded input.
    /// </summary>
    public long Count(int d, long o, bool includePad)
    {
        var low = includePad ? -PadsBegin[d] : 0;
        var high = includePad ? Input[d] + PadsEnd[d] : Input[d];
        var count = 0L;
        for (var j = 0L; j < Kernel[d]; j++)
        {
            var at = (o * Strides[d]) - PadsBegin[d] + (j * Dilations[d]);
            if (at >= low && at < high)
            {
                count++;
            }
        }
        return count;
    }

    public ValueArray<long> OutputShape(long batch, long channels) => ValueArray.From(new[] { batch, channels }.Concat(Output));
}
