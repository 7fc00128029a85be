using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// A plain interpreter of an <see cref="Operator"/> in double precision: the
/// ground truth every generated kernel is checked against. Inputs are first
/// rounded to their tensors' element types (an f16 tensor holds only f16
/// values); everything after that is exact up to double rounding, and the
/// rounding of a 16-bit output is left to the verifier's tolerance. It
/// favours being obviously right over being fast.
/// </summary>
public static class ReferenceEvaluator
{
    /// <summary>Evaluates the operator on the given inputs (one row-major array per input tensor).</summary>
    /// <exception cref="ArgumentException">An input is missing or has the wrong length.</exception>
    public static ReferenceResult Evaluate(Operator op, IReadOnlyDictionary<string, float[]> inputs)
    {
        foreach (var tensor in op.Inputs)
        {
            if (!inputs.TryGetValue(tensor.Name, out var data))
            {
                throw new ArgumentException($"no data for input '{tensor.Name}'", nameof(inputs));
            }
            if (data.LongLength != tensor.ElementCount)
            {
                throw new ArgumentException($"input '{tensor.Name}' has {data.Length} elements but its shape needs {tensor.ElementCount}", nameof(inputs));
            }
        }

        var axes = op.Axes.ToList();
        var point = new int[axes.Count];
        var accumulated = new double[1];
        var shapes = op.Inputs.ToDictionary(tensor => tensor.Name, tensor => tensor.Shape.ToArray());
        var typed = op.Inputs.ToDictionary(tensor => tensor.Name, tensor => RoundedTo(tensor.Type, inputs[tensor.Name]));
        var context = new Context(axes.Select(axis => axis.Name).ToList(), point, typed, shapes, op.Output.Name, accumulated);
        var body = Compile(op.Body, context);
        var epilogue = op.Epilogue is null ? null : Compile(op.Epilogue, context);

        var spatialRank = op.SpatialRank;
        var extents = axes.Select(axis => axis.Extent).ToArray();
        var count = checked((int)op.Output.ElementCount);
        var values = new double[count];
        var magnitude = new double[count];
        for (var element = 0; element < count; element++)
        {
            // Row-major: the last spatial axis varies fastest.
            var rest = element;
            for (var a = spatialRank - 1; a >= 0; a--)
            {
                point[a] = rest % extents[a];
                rest /= extents[a];
            }
            for (var a = spatialRank; a < point.Length; a++)
            {
                point[a] = 0;
            }

            var value = op.Reduction == Reduction.Max ? double.NegativeInfinity : 0.0;
            var absoluteSum = 0.0;
            while (true)
            {
                var term = body();
                switch (op.Reduction)
                {
                    case Reduction.Sum:
                        value += term;
                        absoluteSum += Math.Abs(term);
                        break;
                    case Reduction.Max:
                        value = Math.Max(value, term);
                        break;
                    default:
                        value = term;
                        break;
                }
                if (!NextReducePoint(point, extents, spatialRank))
                {
                    break;
                }
            }

            accumulated[0] = value;
            var result = epilogue is null ? value : epilogue();
            values[element] = result;
            magnitude[element] = op.Reduction == Reduction.Sum
                ? absoluteSum
                : Math.Max(Math.Abs(value), Math.Abs(result));
        }
        return new ReferenceResult(values, magnitude);
    }

    private static float[] RoundedTo(ElementType type, float[] values) =>
        type == ElementType.F32 ? values : values.Select(value => type.Round(value)).ToArray();

    private static bool NextReducePoint(int[] point, int[] extents, int spatialRank)
    {
        for (var a = point.Length - 1; a >= spatialRank; a--)
        {
            if (++point[a] < extents[a])
            {
                return true;
            }
            point[a] = 0;
        }
        return false;
    }

    private sealed record Context(
        List<string> Axes,
        int[] Point,
        IReadOnlyDictionary<string, float[]> Inputs,
        Dictionary<string, int[]> Shapes,
        string Output,
        double[] Accumulated);

    private static Func<double> Compile(Expr expr, Context context)
    {
        switch (expr)
        {
            case Constant constant:
            {
                var value = constant.Value;
                return () => value;
            }
            case TensorRead read when read.Tensor == context.Output:
            {
                // Only the epilogue reads the output, and then it means this element's accumulated value.
                var accumulated = context.Accumulated;
                return () => accumulated[0];
            }
            case TensorRead read:
                return CompileRead(read, context);
            case Unary unary:
            {
                var operand = Compile(unary.Operand, context);
                return unary.Op switch
                {
                    UnaryOp.Negate => () => -operand(),
                    UnaryOp.Relu => () => Math.Max(operand(), 0.0),
                    UnaryOp.Exp => () => Math.Exp(operand()),
                    UnaryOp.Tanh => () => Math.Tanh(operand()),
                    UnaryOp.Sigmoid => () => 1.0 / (1.0 + Math.Exp(-operand())),
                    UnaryOp.Sqrt => () => Math.Sqrt(operand()),
                    UnaryOp.Abs => () => Math.Abs(operand()),
                    _ => throw new NotSupportedException($"unary operator {unary.Op}"),
                };
            }
            case Binary binary:
            {
                var left = Compile(binary.Left, context);
                var right = Compile(binary.Right, context);
                return binary.Op switch
                {
                    BinaryOp.Add => () => left() + right(),
                    BinaryOp.Subtract => () => left() - right(),
                    BinaryOp.Multiply => () => left() * right(),
                    BinaryOp.Divide => () => left() / right(),
                    BinaryOp.Max => () => Math.Max(left(), right()),
                    BinaryOp.Min => () => Math.Min(left(), right()),
                    _ => throw new NotSupportedException($"binary operator {binary.Op}"),
                };
            }
            default:
                throw new NotSupportedException($"expression {expr.GetType().Name}");
        }
    }

    private static Func<double> CompileRead(TensorRead read, Context context)
    {
        var data = context.Inputs[read.Tensor];
        var point = context.Point;
        var rank = read.Indices.Count;
        var shape = new int[rank];
        var constants = new long[rank];
        var axisSlots = new int[rank][];
        var coefficients = new long[rank][];
        var tensorShape = context.Shapes[read.Tensor];
        for (var d = 0; d < rank; d++)
        {
            var index = read.Indices[d];
            shape[d] = tensorShape[d];
            constants[d] = index.Constant;
            axisSlots[d] = index.Terms.Select(term => context.Axes.IndexOf(term.Axis)).ToArray();
            coefficients[d] = index.Terms.Select(term => (long)term.Coefficient).ToArray();
        }
        return () =>
        {
            long offset = 0;
            for (var d = 0; d < rank; d++)
            {
                var index = constants[d];
                var slots = axisSlots[d];
                var factors = coefficients[d];
                for (var t = 0; t < slots.Length; t++)
                {
                    index += factors[t] * point[slots[t]];
                }
                // Out-of-bounds reads are zero: that is how padding is written.
                if (index < 0 || index >= shape[d])
                {
                    return 0.0;
                }
                offset = (offset * shape[d]) + index;
            }
            return data[offset];
        };
    }

}
