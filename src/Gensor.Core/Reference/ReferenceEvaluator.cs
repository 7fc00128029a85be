using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// A plain interpreter of an <see cref="Operator"/> in double precision: the
/// ground truth every generated kernel is checked against. Along with each
/// value it carries a bound on the error of the same computation in the
/// kernel's <see cref="FloatFormat"/> (<see cref="Bounded"/>), so the verifier's
/// tolerance follows the arithmetic: the operations of the body and the
/// epilogue, the reduction length and the magnitudes involved. It favours
/// being obviously right over being fast: output elements are split across
/// cores, and only a sum of products of two inputs takes a path of its own
/// (<see cref="RowProduct"/>: a row of outputs at a time, or the indices stepped
/// directly where that does not apply), which tests hold to the general
/// interpreter bit for bit. Inputs are first rounded to their
/// tensors' element types (an f16 tensor holds only f16 values); TF32 tensor
/// cores round them once more (<see cref="Tolerance.InputRounding"/>), and a
/// 16-bit output's rounding at the store is the verifier's to add
/// (<see cref="ReferenceResult.Output"/>).
/// </summary>
public static class ReferenceEvaluator
{
    /// <summary>
    /// Roughly how long <see cref="Evaluate(Operator, IReadOnlyDictionary{string, float[]})"/> takes on
    /// <paramref name="cores"/> cores: about 2e7 terms a second per core for each operand after the first,
    /// 3e8 for a sum of products of two reads, which goes a row at a time (measured on a 2-core machine, 2026-11,
    /// `Gensor.Bench reference`: a product of four reads at 0.7e7, products of two at 1e8 to 1e9). An
    /// order of magnitude, for warning before a long wait, not a promise.
    /// </summary>
    public static TimeSpan EstimatedTime(Operator op, int cores)
    {
        // The row path's condition (ProductOfTwoReads, RowProduct.TryCreate): a maximum of products steps (found by fuzzing).
        var termsPerSecondPerCore = op.SpatialRank > 0 && SumOfProducts(op) is not null ? 3e8 : 2e7;
        var operandsAfterFirst = Math.Max(1, op.BodyReads.Count() - 1);
        return TimeSpan.FromSeconds(Math.Min(1e12, (double)op.IterationPoints * operandsAfterFirst / (termsPerSecondPerCore * Math.Max(1, cores))));
    }

    /// <summary>Evaluates the operator on the given inputs (one row-major array per input tensor), with error bounds for its own types (<see cref="Tolerance.Of"/>, no TF32).</summary>
    /// <exception cref="ArgumentException">An input is missing or has the wrong length.</exception>
    public static ReferenceResult Evaluate(Operator op, IReadOnlyDictionary<string, float[]> inputs) =>
        Evaluate(op, inputs, Tolerance.Of(op));

    /// <summary>Evaluates the operator with error bounds for a kernel that computes in <paramref name="format"/>.</summary>
    /// <exception cref="ArgumentException">An input is missing or has the wrong length.</exception>
    public static ReferenceResult Evaluate(Operator op, IReadOnlyDictionary<string, float[]> inputs, FloatFormat format) =>
        Evaluate(op, inputs, Tolerance.Of(op) with { Arithmetic = format });

    /// <summary>Evaluates the operator with error bounds for a kernel that makes the roundings <paramref name="rounding"/> describes.</summary>
    /// <exception cref="ArgumentException">An input is missing or has the wrong length.</exception>
    public static ReferenceResult Evaluate(Operator op, IReadOnlyDictionary<string, float[]> inputs, Tolerance rounding) =>
        Evaluate(op, inputs, rounding, interpretOnly: false);

    /// <summary>As the public overload; <paramref name="interpretOnly"/> evaluates every body through the general interpreter (tests compare the two paths).</summary>
    internal static ReferenceResult Evaluate(Operator op, IReadOnlyDictionary<string, float[]> inputs, Tolerance rounding, bool interpretOnly)
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

        var typed = op.Inputs.ToDictionary(tensor => tensor.Name, tensor => RoundedTo(tensor.Type, inputs[tensor.Name]));
        var stored = rounding.Output == ElementType.F32 ? null : FloatFormat.Of(rounding.Output);
        var count = checked((int)op.Output.ElementCount);
        var values = new double[count];
        var bounds = new double[count];
        var orNaN = new bool[count];
        // Every output element is evaluated on its own, so ranges of them can go to separate cores: the
        // result is the same element for element whatever the split. A GPU-sized product (2048^3 is
        // 8.6e9 terms) is otherwise minutes of one core.
        var ranges = Math.Max(1, Math.Min(count / MinimumElementsPerRange, Environment.ProcessorCount * 4));
        var exact = SumIsExact(op, typed, rounding);
        var product = ProductOfTwoReads(op, rounding, interpretOnly);
        var rows = product is var (left, right) ? RowProduct.TryCreate(op, left, right, typed, rounding.Arithmetic) : null;
        try
        {
            Parallel.For(0, ranges, range =>
            {
                var start = (int)((long)count * range / ranges);
                var end = (int)((long)count * (range + 1) / ranges);
                EvaluateRange(op, typed, rounding, stored, product, rows, exact, start, end, values, bounds, orNaN);
            });
        }
        catch (AggregateException parallel) when (parallel.InnerExceptions.Count > 0)
        {
            // The caller sees what a single-threaded evaluation would have thrown (an unsupported expression).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(parallel.InnerExceptions[0]).Throw();
            throw;
        }
        return new ReferenceResult(values, bounds, rounding.Arithmetic, op.ReductionLength, stored) { OrNaN = orNaN };
    }

    /// <summary>Output elements the row path sums at once: 384 KiB of sums, near a core's L2.</summary>
    private const int RowChunkElements = 1 << 14;

    /// <summary>Output elements below which a range is not worth a core of its own.</summary>
    private const int MinimumElementsPerRange = 64;

    /// <summary>
    /// Whether every correct kernel computes <paramref name="op"/>'s sum exactly: a body of integer
    /// operations (<see cref="IntegerSums"/>) on inputs holding only integers, small enough that every
    /// term and partial sum stays within the arithmetic's significand (2^24 in float32). Every one of
    /// them, in any order, with or without fused multiply-adds, is then an integer the format holds, and
    /// so is the double sum here: the sum has no error to allow (an epilogue and a 16-bit store still round).
    /// </summary>
    private static bool SumIsExact(Operator op, IReadOnlyDictionary<string, float[]> typed, Tolerance rounding) =>
        rounding.InputRounding == 0
        && IntegerSums.IsExact(op, tensor => LargestInteger(typed[tensor]), 1 / rounding.Arithmetic.UnitRoundoff);

    /// <summary>The largest magnitude of <paramref name="values"/> when all are integers, else infinity.</summary>
    private static double LargestInteger(float[] values)
    {
        var largest = 0.0;
        foreach (var value in values)
        {
            if (!float.IsFinite(value) || value != MathF.Round(value))
            {
                return double.PositiveInfinity;
            }
            largest = Math.Max(largest, Math.Abs(value));
        }
        return largest;
    }

    /// <summary>The two reads of a body that sums products of two inputs (matrix products, convolutions), else null.</summary>
    internal static (TensorRead Left, TensorRead Right)? SumOfProducts(Operator op) =>
        op.Reduction == Reduction.Sum && op.Body is Binary { Op: BinaryOp.Multiply, Left: TensorRead left, Right: TensorRead right }
            && left.Tensor != op.Output.Name && right.Tensor != op.Output.Name
            ? (left, right)
            : null;

    /// <summary>
    /// The two reads of a sum of products evaluated without delegates: the same Bounded arithmetic as
    /// Compile's, several times faster. Null for any other body, with TF32's input rounding, and for
    /// every body when <paramref name="interpretOnly"/>.
    /// </summary>
    private static (TensorRead Left, TensorRead Right)? ProductOfTwoReads(Operator op, Tolerance rounding, bool interpretOnly) =>
        !interpretOnly && rounding.InputRounding == 0 ? SumOfProducts(op) : null;

    /// <summary>
    /// Evaluates output elements [start, end) into values and bounds, with an interpreter (point,
    /// accumulator) of its own; a product of two reads sums whole row segments first
    /// (<see cref="RowProduct"/>), or where that does not apply steps their indices directly.
    /// </summary>
    private static void EvaluateRange(
        Operator op,
        IReadOnlyDictionary<string, float[]> typed,
        Tolerance rounding,
        FloatFormat? stored,
        (TensorRead Left, TensorRead Right)? product,
        RowProduct? rows,
        bool exact,
        int start,
        int end,
        double[] values,
        double[] bounds,
        bool[] orNaN)
    {
        var format = rounding.Arithmetic;
        var axes = op.Axes.ToList();
        var point = new int[axes.Count];
        var accumulated = new Bounded[1];
        var shapes = op.Inputs.ToDictionary(tensor => tensor.Name, tensor => tensor.Shape.ToArray());
        var extents = axes.Select(axis => axis.Extent).ToArray();
        var context = new Context(axes.Select(axis => axis.Name).ToList(), extents, point, typed, shapes, op.Output.Name, accumulated, format, rounding.InputRounding);
        var body = Compile(op.Body, context);
        var epilogue = op.Epilogue is null ? null : Compile(op.Epilogue, context);
        AffineRead? productLeft = null, productRight = null;
        if (rows is null && product is var (left, right))
        {
            productLeft = new AffineRead(left, context);
            productRight = new AffineRead(right, context);
        }
        // The row path sums a chunk of the range at a time into these: a bounded, cache-sized extra
        // (MemoryEstimate counts only the result's values and bounds per output element).
        var chunk = Math.Min(end - start, RowChunkElements);
        double[]? rowValues = null, rowAbsoluteSums = null, rowErrors = null;
        var chunkStart = start;
        var chunkEnd = start;
        if (rows is not null)
        {
            rowValues = new double[chunk];
            rowAbsoluteSums = new double[chunk];
            rowErrors = new double[chunk];
        }

        var spatialRank = op.SpatialRank;
        var terms = op.ReductionLength;
        for (var element = start; element < end; element++)
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
            var error = 0.0;
            var absoluteSum = 0.0;
            var unknown = false;
            var termOrNaN = false;
            productLeft?.Start();
            productRight?.Start();
            if (rows is not null)
            {
                if (element == chunkEnd)
                {
                    (chunkStart, chunkEnd) = (element, Math.Min(end, element + chunk));
                    rows.Sum(chunkStart, chunkEnd, rowValues!, rowAbsoluteSums!, rowErrors!);
                }
                value = rowValues![element - chunkStart];
                absoluteSum = rowAbsoluteSums![element - chunkStart];
                error = rowErrors![element - chunkStart];
            }
            while (rows is null)
            {
                var term = productLeft is not null
                    ? Bounded.Multiply(Bounded.Exact(productLeft.Value()), Bounded.Exact(productRight!.Value()), format)
                    : body();
                unknown |= term.Unknown;
                termOrNaN |= term.OrNaN;
                switch (op.Reduction)
                {
                    case Reduction.Sum:
                        value += term.Value;
                        absoluteSum += Math.Abs(term.Value);
                        error += term.Error;
                        break;
                    case Reduction.Max:
                        if (double.IsNaN(term.Value))
                        {
                            // A GPU's max skips a NaN, the CPU's keeps it: the maximum of the other terms (from
                            // -infinity, where the kernel starts) or NaN, and nothing else (OrNaN).
                            termOrNaN = true;
                            break;
                        }
                        value = Math.Max(value, term.Value);
                        error = Math.Max(error, term.Error);
                        break;
                    default:
                        value = term.Value;
                        error = term.Error;
                        break;
                }
                var moved = NextReduceAxis(point, extents, spatialRank);
                if (moved < 0)
                {
                    break;
                }
                productLeft?.Advance(moved);
                productRight?.Advance(moved);
            }

            var reduced = exact ? Bounded.Exact(value)
                : op.Reduction == Reduction.Sum
                ? Bounded.Sum(value, absoluteSum, error, terms, unknown, format)
                : unknown ? new Bounded(value, double.PositiveInfinity) : Bounded.Finish(value, error, format);
            reduced = reduced with { OrNaN = termOrNaN };
            accumulated[0] = reduced;
            var result = epilogue is null ? reduced : epilogue();
            if (stored is not null && !result.Unknown)
            {
                // A value that certainly overflows the output type is its infinity there, one that may is unknown;
                // the rounding of the store itself the verifier adds (it is exact, outside the safety factor).
                // An unknown value stays unknown: Finish would take its NaN or infinity for an exact one and
                // require it of the kernel (found by fuzzing: f16 max(x, 1) over an unknown x failed correct kernels).
                result = Bounded.Finish(result.Value, result.Error, stored) with { OrNaN = result.OrNaN };
            }
            values[element] = result.Value;
            bounds[element] = result.Unknown ? double.PositiveInfinity : result.Error;
            orNaN[element] = result.OrNaN;
        }
    }

    private static float[] RoundedTo(ElementType type, float[] values) =>
        type == ElementType.F32 ? values : values.Select(value => type.Round(value)).ToArray();

    /// <summary>Moves the reduce axes of the point on like an odometer (the last fastest): the axis that went up, or -1 after the last point.</summary>
    private static int NextReduceAxis(int[] point, int[] extents, int spatialRank)
    {
        for (var a = point.Length - 1; a >= spatialRank; a--)
        {
            if (++point[a] < extents[a])
            {
                return a;
            }
            point[a] = 0;
        }
        return -1;
    }

    private sealed record Context(
        List<string> Axes,
        int[] Extents,
        int[] Point,
        IReadOnlyDictionary<string, float[]> Inputs,
        Dictionary<string, int[]> Shapes,
        string Output,
        Bounded[] Accumulated,
        FloatFormat Format,
        double InputRounding);

    private static Func<Bounded> Compile(Expr expr, Context context)
    {
        var f = context.Format;
        switch (expr)
        {
            case Constant constant:
            {
                var value = Bounded.Constant(constant.Value, f);
                return () => value;
            }
            case TensorRead read when read.Tensor == context.Output:
            {
                // Only the epilogue reads the output, and then it means this element's accumulated value.
                var accumulated = context.Accumulated;
                return () => accumulated[0];
            }
            case TensorRead read:
            {
                // Inputs are exact in the format (InputGenerator makes them so, and they are rounded to
                // their types above); TF32 tensor cores round each once more, relative to its size.
                var load = CompileRead(read, context);
                var u = context.InputRounding;
                if (u > 0)
                {
                    return () =>
                    {
                        var value = load();
                        return new Bounded(value, u * Math.Abs(value));
                    };
                }
                return () => Bounded.Exact(load());
            }
            case Unary unary:
            {
                var operand = Compile(unary.Operand, context);
                return unary.Op switch
                {
                    UnaryOp.Negate => () => Bounded.Negate(operand()),
                    UnaryOp.Relu => () => Bounded.Relu(operand()),
                    UnaryOp.Exp => () => Bounded.Exp(operand(), f),
                    UnaryOp.Tanh => () => Bounded.Tanh(operand(), f),
                    UnaryOp.Sigmoid => () => Bounded.Sigmoid(operand(), f),
                    UnaryOp.Sqrt => () => Bounded.Sqrt(operand(), f),
                    UnaryOp.Abs => () => Bounded.Abs(operand()),
                    _ => throw new NotSupportedException($"unary operator {unary.Op}"),
                };
            }
            case Binary binary:
            {
                var left = Compile(binary.Left, context);
                var right = Compile(binary.Right, context);
                return binary.Op switch
                {
                    BinaryOp.Add => () => Bounded.Add(left(), right(), 1, f),
                    BinaryOp.Subtract => () => Bounded.Add(left(), right(), -1, f),
                    BinaryOp.Multiply => () => Bounded.Multiply(left(), right(), f),
                    BinaryOp.Divide => () => Bounded.Divide(left(), right(), f),
                    BinaryOp.Max => () => Bounded.Max(left(), right(), max: true),
                    BinaryOp.Min => () => Bounded.Max(left(), right(), max: false),
                    _ => throw new NotSupportedException($"binary operator {binary.Op}"),
                };
            }
            default:
                throw new NotSupportedException($"expression {expr.GetType().Name}");
        }
    }

    private static Func<double> CompileRead(TensorRead read, Context context)
    {
        var load = new AffineRead(read, context);
        return load.Load;
    }

    /// <summary>
    /// One input read at the context's point: each index an affine function of the axes, out of
    /// bounds reading zero. A class rather than a closure so that the product of two reads (matrix
    /// products, convolutions), where evaluation spends nearly all its time, calls it directly.
    /// </summary>
    private sealed class AffineRead
    {
        private readonly float[] _data;
        private readonly int[] _point;
        private readonly int[] _shape;
        private readonly long[] _constants;
        private readonly int[][] _axisSlots;
        private readonly long[][] _coefficients;
        private readonly long[] _index;
        private readonly long[][] _steps;

        public AffineRead(TensorRead read, Context context)
        {
            _data = context.Inputs[read.Tensor];
            _point = context.Point;
            var rank = read.Indices.Count;
            _shape = new int[rank];
            _constants = new long[rank];
            _axisSlots = new int[rank][];
            _coefficients = new long[rank][];
            var tensorShape = context.Shapes[read.Tensor];
            for (var d = 0; d < rank; d++)
            {
                var index = read.Indices[d];
                _shape[d] = tensorShape[d];
                _constants[d] = index.Constant;
                _axisSlots[d] = index.Terms.Select(term => context.Axes.IndexOf(term.Axis)).ToArray();
                _coefficients[d] = index.Terms.Select(term => (long)term.Coefficient).ToArray();
            }
            // When the odometer moves axis a up by one, every later axis wraps from its last value to 0:
            // each index moves by a's coefficient less the later axes' coefficients times their last values.
            _index = new long[rank];
            var extents = context.Extents;
            _steps = new long[extents.Length][];
            for (var a = 0; a < extents.Length; a++)
            {
                _steps[a] = new long[rank];
                for (var d = 0; d < rank; d++)
                {
                    for (var t = 0; t < _axisSlots[d].Length; t++)
                    {
                        var slot = _axisSlots[d][t];
                        _steps[a][d] += slot == a ? _coefficients[d][t] : slot > a ? -_coefficients[d][t] * (extents[slot] - 1) : 0;
                    }
                }
            }
        }

        /// <summary>Sets the stepped indices from the whole point, before a reduction's first term.</summary>
        public void Start()
        {
            for (var d = 0; d < _shape.Length; d++)
            {
                var index = _constants[d];
                for (var t = 0; t < _axisSlots[d].Length; t++)
                {
                    index += _coefficients[d][t] * _point[_axisSlots[d][t]];
                }
                _index[d] = index;
            }
        }

        /// <summary>Moves the stepped indices as <see cref="NextReduceAxis"/> moved the point: <paramref name="axis"/> up by one, every later axis back to 0.</summary>
        public void Advance(int axis)
        {
            var step = _steps[axis];
            for (var d = 0; d < _index.Length; d++)
            {
                _index[d] += step[d];
            }
        }

        /// <summary>The value at the stepped indices.</summary>
        public double Value()
        {
            long offset = 0;
            for (var d = 0; d < _index.Length; d++)
            {
                var index = _index[d];
                // Out-of-bounds reads are zero: that is how padding is written.
                if (index < 0 || index >= _shape[d])
                {
                    return 0.0;
                }
                offset = (offset * _shape[d]) + index;
            }
            return _data[offset];
        }

        /// <summary>The value at the context's point, indices computed afresh.</summary>
        public double Load()
        {
            Start();
            return Value();
        }
    }
}
