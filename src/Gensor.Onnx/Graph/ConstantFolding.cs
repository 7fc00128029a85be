using Gensor.Etir;
using Gensor.Onnx.Mapping;
using Onnx;

namespace Gensor.Onnx.Graph;

/// <summary>
/// Evaluates nodes whose outputs are known at import: constants, shapes (always
/// static here), and the integer arithmetic and layout nodes that turn shapes
/// into the inputs of <c>Reshape</c> or <c>ConstantOfShape</c>. Real models
/// compute weight shapes and reshape targets this way; the values of large
/// tensors are computed only if something reads them.
/// </summary>
internal static class ConstantFolding
{
    private static readonly HashSet<string> _sources = ["Constant", "ConstantOfShape", "Shape", "Size"];

    private static readonly HashSet<string> _onConstants =
        ["Gather", "Cast", "Slice", "Range", "Add", "Sub", "Mul", "Div", "Neg", "Equal", "Where", "Min", "Max", "Expand"];

    /// <summary>
    /// The node's outputs as constants, or null when the node is not evaluated
    /// at import (some input is not constant, or the operator is not one of these).
    /// </summary>
    public static TensorValue[]? TryFold(NodeProto node, int opset, Func<string, TensorValue> value)
    {
        var inputs = node.Input.Select(input => input.Length == 0 ? null : value(input)).ToArray();
        var allConstant = inputs.All(input => input is null || input.IsConstant);
        var op = node.OpType;
        if (op is "Shape" or "Size")
        {
            return [Shape(node, inputs[0]!)];
        }
        if (!allConstant || !(_sources.Contains(op) || _onConstants.Contains(op) || LayoutOps.Handles(op)))
        {
            return null;
        }
        var output = node.Output[0];
        if (LayoutOps.Handles(op))
        {
            var (step, outputs) = LayoutOps.Infer(node, output, opset, value);
            var parts = step.Inputs.Select(value).ToArray();
            return outputs.Select((o, i) => o with
            {
                Constant = new ConstantTensor(o.Shape, () => i == 0
                    ? LayoutOps.Apply(step, parts.Select(p => ((IReadOnlyList<long>)p.Shape, p.Constant!.Values)).ToArray())
                    : Enumerable.Repeat(1.0, (int)o.ElementCount).ToArray()),
            }).ToArray();
        }
        return [op switch
        {
            "Constant" => Constant(node),
            "ConstantOfShape" => ConstantOfShape(node, inputs[0]!),
            "Gather" => Gather(node, inputs[0]!, inputs[1]!),
            "Cast" => Cast(node, inputs[0]!),
            "Slice" => Slice(node, inputs, opset),
            "Range" => Range(output, inputs),
            "Neg" => Map(output, inputs[0]!, v => -v),
            "Where" => Elementwise(output, inputs[1]!.ElementType, inputs, v => v[0] != 0 ? v[1] : v[2]),
            "Equal" => Elementwise(output, TensorValue.Bool, inputs, v => v[0] == v[1] ? 1 : 0),
            "Expand" => Expand(output, inputs[0]!, inputs[1]!),
            _ => Arithmetic(op, output, inputs),
        }];
    }

    private static TensorValue Shape(NodeProto node, TensorValue input)
    {
        if (node.OpType == "Size")
        {
            return Known(node.Output[0], [], TensorValue.Int64, [input.ElementCount]);
        }
        var rank = input.Rank;
        // Opset 15 slices the shape with start and end, clamped like Python slicing.
        static long Clamp(long at, int rank) => Math.Clamp(at < 0 ? at + rank : at, 0, rank);
        var start = Clamp(node.Int("start", 0), rank);
        var end = Clamp(node.Int("end", rank), rank);
        var dims = input.Shape.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (double)d).ToArray();
        return Known(node.Output[0], [dims.Length], TensorValue.Int64, dims);
    }

    private static TensorValue Constant(NodeProto node)
    {
        var output = node.Output[0];
        if (node.Tensor("value") is { } tensor)
        {
            return new TensorValue(output, ValueArray.From(tensor.Dims), tensor.DataType, new ConstantTensor(tensor.Dims.ToArray(), () => TensorData.Decode(tensor)));
        }
        if (node.Find("value_float") is { } single)
        {
            return Known(output, [], TensorValue.Float, [single.F]);
        }
        if (node.Find("value_floats") is { } floats)
        {
            return Known(output, [floats.Floats.Count], TensorValue.Float, floats.Floats.Select(f => (double)f).ToArray());
        }
        if (node.Find("value_int") is { } integer)
        {
            return Known(output, [], TensorValue.Int64, [integer.I]);
        }
        if (node.Find("value_ints") is { } ints)
        {
            return Known(output, [ints.Ints.Count], TensorValue.Int64, ints.Ints.Select(i => (double)i).ToArray());
        }
        throw new UnsupportedNodeException("a Constant with no numeric value (sparse or string)");
    }

    private static TensorValue ConstantOfShape(NodeProto node, TensorValue shapeInput)
    {
        var shape = shapeInput.Constant!.Values.Select(v => (long)v).ToArray();
        if (shape.Any(extent => extent < 0))
        {
            throw new UnsupportedNodeException($"negative extent in [{string.Join(",", shape)}]");
        }
        var fill = node.Tensor("value");
        var type = fill?.DataType ?? TensorValue.Float;
        var values = fill is null ? [0.0] : TensorData.Decode(fill);
        // .Single() on a value of several elements or none failed the import with an internal error (found by fuzzing).
        var value = values.Length == 1 ? values[0] : throw new UnsupportedNodeException($"a value of {values.Length} elements (ONNX asks for one)");
        var count = shape.Aggregate(1L, (product, extent) => product * extent);
        return new TensorValue(node.Output[0], ValueArray.From(shape), type,
            new ConstantTensor(shape, () => Enumerable.Repeat(value, checked((int)count)).ToArray()), NonNegative: value >= 0);
    }

    private static TensorValue Gather(NodeProto node, TensorValue data, TensorValue indices)
    {
        var rank = data.Rank;
        var axis = LayoutOps.Normalize(node.Int("axis", 0), rank);
        var shape = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        var picks = indices.Constant!.Values.Select(v => (long)v < 0 ? (long)v + data.Shape[axis] : (long)v).ToArray();
        if (picks.Any(p => p < 0 || p >= data.Shape[axis]))
        {
            throw new UnsupportedNodeException("a Gather index outside the data");
        }
        var outer = LayoutOps.Product(data.Shape.Take(axis));
        var inner = LayoutOps.Product(data.Shape.Skip(axis + 1));
        return new TensorValue(node.Output[0], ValueArray.From(shape), data.ElementType, new ConstantTensor(shape, () =>
        {
            var source = data.Constant!.Values;
            var result = new List<double>();
            for (long o = 0; o < outer; o++)
            {
                foreach (var pick in picks)
                {
                    result.AddRange(source.AsSpan((int)(((o * data.Shape[axis]) + pick) * inner), (int)inner));
                }
            }
            return result.ToArray();
        }), data.NonNegative);
    }

    private static TensorValue Cast(NodeProto node, TensorValue input)
    {
        var to = (int)node.Int("to", TensorValue.Float);
        return Elementwise(node.Output[0], to, [input], v => v[0]);
    }

    /// <summary>
    /// <paramref name="value"/> as an element of type <paramref name="type"/> holds it: rounded to
    /// float32, float16 or bfloat16 (to nearest, ties to even), truncated and wrapped to an integer
    /// type's width, 0 or 1 for bool. Values are held as doubles, and a fold that kept the double
    /// (0.1 cast to float16, or -5.6f * 1.25f, which is -7 in float32 and -6.99... in double, then
    /// cast to int64) gave a constant other than the one ONNX Runtime computes (found by fuzzing).
    /// </summary>
    internal static double Store(int type, double value) => type switch
    {
        1 => (float)value,
        10 => (double)(Half)(float)value,
        16 => BFloat16((float)value),
        9 => value != 0 ? 1 : 0,
        2 or 3 or 4 or 5 or 6 or 7 or 12 or 13 => Integer(type, Math.Truncate(value)),
        _ => value,
    };

    private static double BFloat16(float value)
    {
        if (float.IsNaN(value))
        {
            return value;
        }
        var bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }

    /// <summary>An integer wrapped to the type's width (two's complement), as a conversion between integer types does.</summary>
    private static double Integer(int type, double value)
    {
        // Past 64 bits (or NaN, an infinity) the conversion is undefined in ONNX: leave the value as it is.
        if (!(Math.Abs(value) < 9.2e18))
        {
            return value;
        }
        var wide = (long)value;
        return type switch
        {
            2 => unchecked((byte)wide),
            3 => unchecked((sbyte)wide),
            4 => unchecked((ushort)wide),
            5 => unchecked((short)wide),
            6 => unchecked((int)wide),
            12 => unchecked((uint)wide),
            13 => unchecked((ulong)wide),
            _ => wide,
        };
    }

    private static TensorValue Slice(NodeProto node, TensorValue?[] inputs, int opset)
    {
        var data = inputs[0]!;
        var rank = data.Rank;
        long[] Ints(int i, string attribute) => opset >= 10
            ? inputs.Length > i && inputs[i] is { } given ? given.Constant!.Values.Select(v => (long)v).ToArray() : []
            : node.Ints(attribute) ?? [];
        var starts = Ints(1, "starts");
        var ends = Ints(2, "ends");
        var axes = Ints(3, "axes");
        var steps = Ints(4, "steps");
        if (axes.Length == 0)
        {
            axes = Enumerable.Range(0, starts.Length).Select(a => (long)a).ToArray();
        }
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var shape = data.Shape.ToArray();
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = LayoutOps.Normalize(axes[i], rank);
            var extent = data.Shape[axis];
            var s = steps.Length > i ? steps[i] : 1;
            if (s == 0)
            {
                throw new UnsupportedNodeException("a Slice step of 0");
            }
            // Python slicing: negative positions count from the end, then clamp (to [-1, extent-1] going backwards).
            long Clamp(long at) => s > 0 ? Math.Clamp(at < 0 ? at + extent : at, 0, extent) : Math.Clamp(at < 0 ? at + extent : at, -1, extent - 1);
            var from = Clamp(starts[i]);
            var to = Clamp(ends[i]);
            begin[axis] = from;
            step[axis] = s;
            shape[axis] = Math.Max(0, s > 0 ? (to - from + s - 1) / s : (from - to - s - 1) / -s);
        }
        return new TensorValue(node.Output[0], ValueArray.From(shape), data.ElementType, new ConstantTensor(shape, () =>
        {
            var source = data.Constant!.Values;
            var strides = LayoutOps.Strides(data.Shape);
            var count = (int)LayoutOps.Product(shape);
            var result = new double[count];
            var index = new long[rank];
            for (var i = 0; i < count; i++)
            {
                long at = 0;
                for (var d = 0; d < rank; d++)
                {
                    at += (begin[d] + (index[d] * step[d])) * strides[d];
                }
                result[i] = source[at];
                LayoutOps.Increment(index, shape);
            }
            return result;
        }), data.NonNegative);
    }

    /// <summary>The most elements a folded <c>Range</c> may have.</summary>
    public const int MaxRangeElements = 1 << 24;

    private static TensorValue Range(string output, TensorValue?[] inputs)
    {
        var (start, limit, delta) = (inputs[0]!.Constant!.Values[0], inputs[1]!.Constant!.Values[0], inputs[2]!.Constant!.Values[0]);
        if (delta == 0)
        {
            throw new UnsupportedNodeException("a Range with delta 0");
        }
        var count = Math.Max(0, Math.Ceiling((limit - start) / delta));
        // Its values are computed here, not on first use: a model of 200 bytes asking for Range(0, 2e9) made the import
        // allocate 16 GB (found by fuzzing). Real models range over positions or axes, far fewer.
        if (!(count <= MaxRangeElements))
        {
            throw new UnsupportedNodeException($"a Range of {count.ToString("G", System.Globalization.CultureInfo.InvariantCulture)} elements (at most {MaxRangeElements} are computed at import)");
        }
        var type = inputs[0]!.ElementType;
        // ONNX Runtime adds delta in the element type, one step at a time.
        var values = new double[(int)count];
        var value = Store(type, start);
        for (var i = 0; i < count; i++)
        {
            values[i] = value;
            value = Store(type, value + delta);
        }
        return Known(output, [values.Length], type, values);
    }

    private static TensorValue Expand(string output, TensorValue input, TensorValue shapeInput)
    {
        var target = shapeInput.Constant!.Values.Select(v => (long)v).ToArray();
        var shape = Broadcast.Shapes(input.Shape, target) ?? throw new UnsupportedNodeException("Expand to a shape that does not broadcast");
        return Elementwise(output, input.ElementType, [input], v => v[0], shape);
    }

    private static TensorValue Arithmetic(string op, string output, TensorValue?[] inputs)
    {
        var type = inputs[0]!.ElementType;
        var integer = type != TensorValue.Float && type != 10 && type != 11 && type != 16;
        Func<double[], double> apply = op switch
        {
            "Add" => v => v[0] + v[1],
            "Sub" => v => v[0] - v[1],
            "Mul" => v => v[0] * v[1],
            // ONNX integer division truncates, as C does; by zero it is undefined (ONNX Runtime fails the model), not an infinity.
            "Div" => integer ? v => v[1] != 0 ? Math.Truncate(v[0] / v[1]) : throw new UnsupportedNodeException("a constant it reads divides an integer by zero") : v => v[0] / v[1],
            "Min" => v => v.Min(),
            "Max" => v => v.Max(),
            _ => throw new UnsupportedNodeException($"{op} on constants"),
        };
        return Elementwise(output, type, inputs, apply);
    }

    private static TensorValue Map(string output, TensorValue input, Func<double, double> apply) =>
        Elementwise(output, input.ElementType, [input], v => apply(v[0]));

    /// <summary>An element-wise function of constants broadcast against each other.</summary>
    private static TensorValue Elementwise(string output, int type, TensorValue?[] inputs, Func<double[], double> apply, long[]? shape = null)
    {
        var operands = inputs.Select(input => input ?? throw new UnsupportedNodeException("an omitted input")).ToArray();
        shape ??= Broadcast.Shapes(operands.Select(o => (IReadOnlyList<long>)o.Shape).ToArray()) ?? throw new UnsupportedNodeException("shapes that do not broadcast");
        var outShape = shape;
        return new TensorValue(output, ValueArray.From(outShape), type, new ConstantTensor(outShape, () =>
        {
            var count = (int)LayoutOps.Product(outShape);
            var sources = operands.Select(o => (Values: o.Constant!.Values, Strides: BroadcastStrides(o.Shape, outShape))).ToArray();
            var result = new double[count];
            var index = new long[outShape.Length];
            var arguments = new double[sources.Length];
            for (var i = 0; i < count; i++)
            {
                for (var s = 0; s < sources.Length; s++)
                {
                    long at = 0;
                    for (var d = 0; d < index.Length; d++)
                    {
                        at += index[d] * sources[s].Strides[d];
                    }
                    arguments[s] = sources[s].Values[at];
                }
                result[i] = Store(type, apply(arguments));
                LayoutOps.Increment(index, outShape);
            }
            return result;
        }));
    }

    /// <summary>Strides of <paramref name="shape"/> read against <paramref name="output"/>: 0 along broadcast dimensions.</summary>
    private static long[] BroadcastStrides(IReadOnlyList<long> shape, long[] output)
    {
        var own = LayoutOps.Strides(shape);
        var offset = output.Length - shape.Count;
        return output.Select((_, d) => d < offset || shape[d - offset] == 1 ? 0 : own[d - offset]).ToArray();
    }

    private static TensorValue Known(string name, long[] shape, int type, double[] values) =>
        new(name, ValueArray.From(shape), type, ConstantTensor.Of(shape, values), values.All(v => v >= 0));
}
