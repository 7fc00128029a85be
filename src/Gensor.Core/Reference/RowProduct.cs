using System.Numerics;
using System.Runtime.InteropServices;
using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// The sum of products of two inputs (matrix products, convolutions), summed a segment of an output
/// row at a time with the reduction outermost. The general path walks each output element's terms
/// through an odometer of affine indices, about 25 ns a term: a 4096^3 product was minutes of a GPU
/// host's cores before the first candidate ran. Along the output's last axis every index is affine, so
/// for one reduce point each read moves by a constant step and stays inside its tensor over one
/// interval of the row (padding is the rest); the inner loop runs over that interval with no bounds
/// checks, vectorized where one operand is fixed along the row and the other contiguous. Each element
/// still adds its terms one at a time, in the odometer's order, in the same double arithmetic as
/// <see cref="Bounded.Multiply"/> of two exact operands (a read outside its tensor a zero term, which
/// adds one flush-to-zero rounding to the error), so the sums are the general path's to the bit
/// (ReferenceEvaluatorTests compare them).
/// </summary>
internal sealed class RowProduct
{
    private readonly RowRead _left;
    private readonly RowRead _right;
    private readonly int[] _extents;
    private readonly int _spatialRank;
    private readonly double _unitRoundoff;
    private readonly double _minNormal;

    private RowProduct(RowRead left, RowRead right, int[] extents, int spatialRank, FloatFormat format)
    {
        _left = left;
        _right = right;
        _extents = extents;
        _spatialRank = spatialRank;
        _unitRoundoff = format.UnitRoundoff;
        _minNormal = format.MinNormal;
    }

    /// <summary>
    /// The row path for <paramref name="op"/>'s body <c>left * right</c>, or null where it does not
    /// apply: an output without axes, an input that is not finite, or inputs so large that a term could
    /// overflow the format (the general path then marks it unknown).
    /// </summary>
    public static RowProduct? TryCreate(Operator op, TensorRead left, TensorRead right, IReadOnlyDictionary<string, float[]> inputs, FloatFormat format)
    {
        if (op.SpatialRank == 0)
        {
            return null;
        }
        var leftData = inputs[left.Tensor];
        var rightData = inputs[right.Tensor];
        var largest = LargestMagnitude(leftData) * LargestMagnitude(rightData);
        // Below this every term is finite, exact in double (24 + 24 significant bits) and certain, so
        // Bounded.Multiply's checks would never fire and its error is one rounding of the term.
        if (!(largest + Bounded.Round(largest, format) < Bounded.Overflow(format)))
        {
            return null;
        }
        var axes = op.Axes.Select(axis => axis.Name).ToList();
        return new RowProduct(new RowRead(op, left, axes, leftData), new RowRead(op, right, axes, rightData),
            op.Axes.Select(axis => axis.Extent).ToArray(), op.SpatialRank, format);
    }

    /// <summary>
    /// Sums the terms of output elements [<paramref name="start"/>, <paramref name="end"/>) (row-major):
    /// element e's sum of terms, of their magnitudes and of their rounding errors land at e - start.
    /// </summary>
    public void Sum(int start, int end, double[] values, double[] absoluteSums, double[] errors)
    {
        Array.Clear(values, 0, end - start);
        Array.Clear(absoluteSums, 0, end - start);
        Array.Clear(errors, 0, end - start);
        var last = _spatialRank - 1;
        var rowLength = _extents[last];
        var point = new int[_extents.Length];
        var element = start;
        while (element < end)
        {
            // The segment of this output row inside the range.
            var column = element % rowLength;
            var length = Math.Min(rowLength - column, end - element);
            var rest = element / rowLength;
            for (var a = last - 1; a >= 0; a--)
            {
                point[a] = rest % _extents[a];
                rest /= _extents[a];
            }
            point[last] = column;
            for (var a = _spatialRank; a < point.Length; a++)
            {
                point[a] = 0;
            }
            SumSegment(point, length, values.AsSpan(element - start, length), absoluteSums.AsSpan(element - start, length), errors.AsSpan(element - start, length));
            element += length;
        }
    }

    /// <summary>Adds every reduce point's terms to the segment of <paramref name="length"/> elements from <paramref name="point"/> along the row.</summary>
    private void SumSegment(int[] point, int length, Span<double> values, Span<double> absoluteSums, Span<double> errors)
    {
        var last = _spatialRank - 1;
        do
        {
            // Where both reads are inside their tensors: [inside, insideEnd) of the segment.
            var inside = 0;
            var insideEnd = length;
            var (leftIndex, leftStep) = _left.Along(point, last, ref inside, ref insideEnd);
            var (rightIndex, rightStep) = _right.Along(point, last, ref inside, ref insideEnd);
            if (insideEnd <= inside)
            {
                inside = insideEnd = length;
            }
            // A read outside its tensor is a zero term: value and magnitude unchanged, one rounding's flush.
            AddZeroTerms(errors[..inside]);
            AddZeroTerms(errors[insideEnd..]);
            if (insideEnd > inside)
            {
                AddTermsInside(leftIndex + (leftStep * inside), leftStep, rightIndex + (rightStep * inside), rightStep,
                    values[inside..insideEnd], absoluteSums[inside..insideEnd], errors[inside..insideEnd]);
            }
        }
        while (NextReducePoint(point));
    }

    /// <summary>Adds the terms of one reduce point where both reads are inside their tensors.</summary>
    private void AddTermsInside(long leftIndex, long leftStep, long rightIndex, long rightStep, Span<double> values, Span<double> absoluteSums, Span<double> errors)
    {
        // A matrix product's or a convolution's row: one operand fixed along it, the other contiguous.
        if (leftStep == 0 && rightStep == 1)
        {
            AddScaledRow(_left.Data[leftIndex], _right.Data.AsSpan(checked((int)rightIndex), values.Length), values, absoluteSums, errors);
        }
        else if (rightStep == 0 && leftStep == 1)
        {
            AddScaledRow(_right.Data[rightIndex], _left.Data.AsSpan(checked((int)leftIndex), values.Length), values, absoluteSums, errors);
        }
        else
        {
            AddStridedTerms(leftIndex, leftStep, rightIndex, rightStep, values, absoluteSums, errors);
        }
    }

    private void AddZeroTerms(Span<double> errors)
    {
        // Round(|0|): u * 0 + the flush of a subnormal, as Bounded.Multiply computes it.
        var flush = (_unitRoundoff * 0.0) + _minNormal;
        for (var j = 0; j < errors.Length; j++)
        {
            errors[j] += flush;
        }
    }

    /// <summary>Adds the terms <c>factor * row[j]</c> to element j's sums, several elements per vector instruction.</summary>
    private void AddScaledRow(double factor, ReadOnlySpan<float> row, Span<double> values, Span<double> absoluteSums, Span<double> errors)
    {
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<double>(factor);
            var u = new Vector<double>(_unitRoundoff);
            var minNormal = new Vector<double>(_minNormal);
            ref var rowStart = ref MemoryMarshal.GetReference(row);
            ref var valueStart = ref MemoryMarshal.GetReference(values);
            ref var absoluteStart = ref MemoryMarshal.GetReference(absoluteSums);
            ref var errorStart = ref MemoryMarshal.GetReference(errors);
            // Unchecked loads and stores: j + Vector<float>.Count <= the length of every span here.
            for (; j <= row.Length - Vector<float>.Count; j += Vector<float>.Count)
            {
                // float to double is exact, and so is the product of two floats in double: each lane's
                // arithmetic is the scalar loop's, in the same order (no fused multiply-add).
                Vector.Widen(Vector.LoadUnsafe(ref rowStart, (nuint)j), out var low, out var high);
                AddTerms(low * scale, (nuint)j, u, minNormal, ref valueStart, ref absoluteStart, ref errorStart);
                AddTerms(high * scale, (nuint)(j + Vector<double>.Count), u, minNormal, ref valueStart, ref absoluteStart, ref errorStart);
            }
        }
        for (; j < row.Length; j++)
        {
            var term = factor * row[j];
            var magnitude = Math.Abs(term);
            values[j] += term;
            absoluteSums[j] += magnitude;
            errors[j] += (_unitRoundoff * magnitude) + _minNormal;
        }
    }

    private static void AddTerms(Vector<double> terms, nuint at, Vector<double> u, Vector<double> minNormal, ref double values, ref double absoluteSums, ref double errors)
    {
        var magnitudes = Vector.Abs(terms);
        (Vector.LoadUnsafe(ref values, at) + terms).StoreUnsafe(ref values, at);
        (Vector.LoadUnsafe(ref absoluteSums, at) + magnitudes).StoreUnsafe(ref absoluteSums, at);
        (Vector.LoadUnsafe(ref errors, at) + ((u * magnitudes) + minNormal)).StoreUnsafe(ref errors, at);
    }

    /// <summary>Adds the terms <c>left[leftIndex + j * leftStep] * right[rightIndex + j * rightStep]</c> to element j's sums.</summary>
    private void AddStridedTerms(long leftIndex, long leftStep, long rightIndex, long rightStep, Span<double> values, Span<double> absoluteSums, Span<double> errors)
    {
        var left = _left.Data;
        var right = _right.Data;
        var u = _unitRoundoff;
        var minNormal = _minNormal;
        for (var j = 0; j < values.Length; j++)
        {
            var term = (double)left[leftIndex] * right[rightIndex];
            var magnitude = Math.Abs(term);
            values[j] += term;
            absoluteSums[j] += magnitude;
            errors[j] += (u * magnitude) + minNormal;
            leftIndex += leftStep;
            rightIndex += rightStep;
        }
    }

    /// <summary>The odometer of the reduce axes, the last fastest, as the general path's: false after the last point.</summary>
    private bool NextReducePoint(int[] point)
    {
        for (var a = point.Length - 1; a >= _spatialRank; a--)
        {
            if (++point[a] < _extents[a])
            {
                return true;
            }
            point[a] = 0;
        }
        return false;
    }

    /// <summary>
    /// One read as the row path walks it: each index an affine form of the axes, the tensor's
    /// row-major strides. Along the row, index d is base + slope * x: a constant step, inside the
    /// tensor for one interval of x.
    /// </summary>
    private sealed class RowRead
    {
        private readonly int[] _shape;
        private readonly long[] _strides;
        private readonly long[] _constants;
        private readonly int[][] _axes;
        private readonly long[][] _coefficients;

        public RowRead(Operator op, TensorRead read, List<string> axes, float[] data)
        {
            Data = data;
            _shape = op.Inputs.First(tensor => tensor.Name == read.Tensor).Shape.Select(extent => checked((int)extent)).ToArray();
            var rank = read.Indices.Count;
            _strides = new long[rank];
            long stride = 1;
            for (var d = rank - 1; d >= 0; d--)
            {
                _strides[d] = stride;
                stride *= _shape[d];
            }
            _constants = read.Indices.Select(index => (long)index.Constant).ToArray();
            _axes = read.Indices.Select(index => index.Terms.Select(term => axes.IndexOf(term.Axis)).ToArray()).ToArray();
            _coefficients = read.Indices.Select(index => index.Terms.Select(term => (long)term.Coefficient).ToArray()).ToArray();
        }

        public float[] Data { get; }

        /// <summary>
        /// The read's offset at <paramref name="point"/> and its step as axis <paramref name="row"/>
        /// goes up by one; narrows [<paramref name="inside"/>, <paramref name="insideEnd"/>), counted
        /// from the point along the row, to where every index stays inside the tensor.
        /// </summary>
        public (long Offset, long Step) Along(int[] point, int row, ref int inside, ref int insideEnd)
        {
            long offset = 0, step = 0;
            for (var d = 0; d < _shape.Length; d++)
            {
                var index = _constants[d];
                long slope = 0;
                for (var t = 0; t < _axes[d].Length; t++)
                {
                    index += _coefficients[d][t] * point[_axes[d][t]];
                    slope += _axes[d][t] == row ? _coefficients[d][t] : 0;
                }
                offset += _strides[d] * index;
                step += _strides[d] * slope;
                // index + slope * x in [0, shape): x in [first, last], or nowhere.
                long first, last;
                if (slope == 0)
                {
                    (first, last) = index >= 0 && index < _shape[d] ? (long.MinValue, long.MaxValue) : (1, 0);
                }
                else if (slope > 0)
                {
                    (first, last) = (CeilingDivide(-index, slope), FloorDivide(_shape[d] - 1 - index, slope));
                }
                else
                {
                    (first, last) = (CeilingDivide(_shape[d] - 1 - index, slope), FloorDivide(-index, slope));
                }
                inside = first > inside ? (int)Math.Min(first, insideEnd) : inside;
                insideEnd = last < insideEnd ? (int)Math.Max(last + 1, inside) : insideEnd;
            }
            return (offset, step);
        }

        private static long FloorDivide(long a, long b) => (a / b) - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);

        private static long CeilingDivide(long a, long b) => -FloorDivide(-a, b);
    }

    private static double LargestMagnitude(float[] data)
    {
        var largest = 0.0;
        foreach (var value in data)
        {
            if (!float.IsFinite(value))
            {
                return double.PositiveInfinity;
            }
            largest = Math.Max(largest, Math.Abs(value));
        }
        return largest;
    }
}
