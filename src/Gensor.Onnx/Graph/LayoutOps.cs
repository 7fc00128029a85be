using Gensor.Etir;
using Gensor.Onnx.Mapping;
using Onnx;

namespace Gensor.Onnx.Graph;

/// <summary>
/// The nodes that move no arithmetic: their output shapes, and how they move
/// data (used to fold constants at import and by the reference run). All but
/// <c>Transpose</c> and <c>Concat</c> leave row-major data as it is.
/// </summary>
public static class LayoutOps
{
    public static bool Handles(string opType) =>
        opType is "Reshape" or "Flatten" or "Transpose" or "Concat" or "Dropout" or "Unsqueeze" or "Squeeze" or "Identity";

    /// <summary>The node's step and its output values (shapes, element type, non-negativity; no constants).</summary>
    /// <exception cref="UnsupportedNodeException">A shape input that is not constant, or attributes that do not fit.</exception>
    internal static (LayoutStep Step, TensorValue[] Outputs) Infer(NodeProto node, string name, int opset, Func<string, TensorValue> value)
    {
        var x = value(node.InputAt(0) ?? throw new UnsupportedNodeException("no input"));
        var rank = x.Rank;
        long[]? permutation = null;
        var axis = 0;
        var inputs = new List<string> { x.Name };
        long[] shape;
        var nonNegative = x.NonNegative;
        switch (node.OpType)
        {
            case "Reshape":
                shape = Reshape(x.Shape, ConstantInts(node, 1, value, "shape"), node.Int("allowzero", 0) != 0);
                break;
            case "Flatten":
            {
                var at = (int)node.Int("axis", 1);
                at = at < 0 ? at + rank : at;
                if (at < 0 || at > rank)
                {
                    throw new UnsupportedNodeException($"axis {node.Int("axis", 1)} of a rank-{rank} tensor");
                }
                shape = [Product(x.Shape.Take(at)), Product(x.Shape.Skip(at))];
                break;
            }
            case "Transpose":
                permutation = node.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(d => (long)d).ToArray();
                if (!permutation.Order().SequenceEqual(Enumerable.Range(0, rank).Select(d => (long)d)))
                {
                    throw new UnsupportedNodeException($"perm [{string.Join(",", permutation)}] is not a permutation of {rank} dimensions");
                }
                shape = permutation.Select(d => x.Shape[(int)d]).ToArray();
                break;
            case "Concat":
            {
                var parts = node.Input.Where(input => input.Length > 0).Select(value).ToArray();
                axis = Normalize(node.Int("axis", long.MinValue), rank);
                if (parts.Any(part => part.Rank != rank || Enumerable.Range(0, rank).Any(d => d != axis && part.Shape[d] != x.Shape[d])))
                {
                    throw new UnsupportedNodeException("inputs whose shapes differ outside the concatenation axis");
                }
                inputs = parts.Select(part => part.Name).ToList();
                nonNegative = parts.All(part => part.NonNegative);
                shape = x.Shape.ToArray();
                shape[axis] = parts.Sum(part => part.Shape[axis]);
                break;
            }
            case "Unsqueeze":
            {
                var axes = opset >= 13 ? ConstantInts(node, 1, value, "axes") : node.Ints("axes") ?? throw new UnsupportedNodeException("no axes");
                var outRank = rank + axes.Length;
                var normalized = axes.Select(a => Normalize(a, outRank)).ToHashSet();
                IEnumerator<long> rest = ((IEnumerable<long>)x.Shape).GetEnumerator();
                shape = Enumerable.Range(0, outRank).Select(d => normalized.Contains(d) ? 1L : Next(rest)).ToArray();
                break;
            }
            case "Squeeze":
            {
                var axes = opset >= 13 ? (node.InputAt(1) is null ? null : ConstantInts(node, 1, value, "axes")) : node.Ints("axes");
                if (opset >= 13 && axes is { Length: 0 })
                {
                    // The spec leaves it open: its reference implementation squeezes nothing, ONNX Runtime every extent of 1 (found by fuzzing).
                    throw new UnsupportedNodeException("an empty axes input, which ONNX Runtime reads as every dimension of extent 1 and ONNX's reference implementation as none");
                }
                var squeezed = axes?.Select(a => Normalize(a, rank)).ToHashSet() ?? Enumerable.Range(0, rank).Where(d => x.Shape[d] == 1).ToHashSet();
                if (squeezed.Any(d => x.Shape[d] != 1))
                {
                    throw new UnsupportedNodeException("squeezes a dimension whose extent is not 1");
                }
                shape = x.Shape.Where((_, d) => !squeezed.Contains(d)).ToArray();
                break;
            }
            case "Dropout" or "Identity":
                // From opset 12 a training_mode input of true drops elements at random; only inference mode is the identity (found by fuzzing).
                if (node.OpType == "Dropout" && opset >= 12 && node.InputAt(2) is { } training)
                {
                    var mode = value(training).Constant ?? throw new UnsupportedNodeException("its training_mode is computed at run time (true drops elements at random)");
                    if (mode.Values.Any(v => v != 0))
                    {
                        throw new UnsupportedNodeException("training_mode is true, so it drops elements at random");
                    }
                }
                shape = x.Shape.ToArray();
                break;
            default:
                throw new UnsupportedNodeException($"{node.OpType} is not a layout node");
        }
        var outputs = new List<TensorValue> { new(node.Output[0], ValueArray.From(shape), x.ElementType, NonNegative: nonNegative) };
        if (node.OpType == "Dropout" && node.OutputAt(1) is { } mask)
        {
            outputs.Add(new TensorValue(mask, ValueArray.From(shape), TensorValue.Bool, NonNegative: true));
        }
        var step = new LayoutStep(name, node.OpType, inputs, node.Output.ToArray(), permutation, axis);
        return (step, outputs.ToArray());
    }

    /// <summary>Moves the data of one layout step: <paramref name="inputs"/> are the step's inputs with their shapes.</summary>
    public static T[] Apply<T>(LayoutStep step, IReadOnlyList<(IReadOnlyList<long> Shape, T[] Data)> inputs)
    {
        switch (step.OpType)
        {
            case "Transpose":
            {
                var (shape, data) = inputs[0];
                var perm = step.Permutation!.Select(d => (int)d).ToArray();
                var inStrides = Strides(shape);
                var outShape = perm.Select(d => shape[d]).ToArray();
                var result = new T[data.Length];
                var index = new long[outShape.Length];
                for (var i = 0; i < result.Length; i++)
                {
                    long source = 0;
                    for (var d = 0; d < perm.Length; d++)
                    {
                        source += index[d] * inStrides[perm[d]];
                    }
                    result[i] = data[source];
                    Increment(index, outShape);
                }
                return result;
            }
            case "Concat":
            {
                var axis = step.Axis;
                var outer = Product(inputs[0].Shape.Take(axis));
                var result = new List<T>(inputs.Sum(input => input.Data.Length));
                for (long o = 0; o < outer; o++)
                {
                    foreach (var (shape, data) in inputs)
                    {
                        var block = (int)Product(shape.Skip(axis));
                        result.AddRange(data.AsSpan((int)(o * block), block));
                    }
                }
                return result.ToArray();
            }
            default:
                return inputs[0].Data;
        }
    }

    internal static long[] Strides(IReadOnlyList<long> shape)
    {
        var strides = new long[shape.Count];
        var stride = 1L;
        for (var d = shape.Count - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>Steps a row-major multi-index by one.</summary>
    internal static void Increment(long[] index, IReadOnlyList<long> shape)
    {
        for (var d = index.Length - 1; d >= 0; d--)
        {
            if (++index[d] < shape[d])
            {
                return;
            }
            index[d] = 0;
        }
    }

    internal static long Product(IEnumerable<long> extents) => extents.Aggregate(1L, (product, extent) => product * extent);

    internal static int Normalize(long axis, int rank) =>
        axis >= -rank && axis < rank ? (int)(axis < 0 ? axis + rank : axis) : throw new UnsupportedNodeException($"axis {axis} of a rank-{rank} tensor");

    internal static long[] Reshape(IReadOnlyList<long> input, long[] target, bool allowZero)
    {
        var shape = target.Select((extent, d) => extent == 0 && !allowZero
            ? d < input.Count ? input[d] : throw new UnsupportedNodeException($"shape copies dimension {d + 1} of a rank-{input.Count} input")
            : extent).ToArray();
        var count = Product(input);
        var unknown = Array.IndexOf(shape, -1L);
        if (unknown >= 0)
        {
            var known = Product(shape.Where((_, d) => d != unknown));
            if (known == 0 || count % known != 0)
            {
                throw new UnsupportedNodeException($"cannot reshape [{string.Join("x", input)}] to [{string.Join(",", target)}]");
            }
            shape[unknown] = count / known;
        }
        if (shape.Any(extent => extent < 0) || Product(shape) != count)
        {
            throw new UnsupportedNodeException($"cannot reshape [{string.Join("x", input)}] ({count} elements) to [{string.Join(",", target)}]");
        }
        return shape;
    }

    private static long[] ConstantInts(NodeProto node, int index, Func<string, TensorValue> value, string what)
    {
        var input = node.InputAt(index) ?? throw new UnsupportedNodeException($"no {what} input");
        var constant = value(input).Constant ?? throw new UnsupportedNodeException($"its {what} is computed at run time, not a constant");
        return constant.Values.Select(v => (long)v).ToArray();
    }

    private static long Next(IEnumerator<long> rest) => rest.MoveNext() ? rest.Current : throw new UnsupportedNodeException("axes do not fit the rank");
}
