using System.Numerics;
using System.Runtime.InteropServices;
using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// The sum of products of two inputs whose every index is a plain axis (matrix products, batched
/// ones, matrix-vector products), summed a segment of an output row at a time with the reduction
/// outermost. The general path walks each output element's terms through an odometer of affine
/// indices, about 25 ns a term: a 4096^3 product was minutes of a GPU host's cores before the first
/// candidate ran. Here the inner loop runs along the output's last axis with constant strides and no
/// bounds checks. Each element still adds its terms one at a time, in the odometer's order, in the
/// same double arithmetic as <see cref="Bounded.Multiply"/> of two exact operands, so the sums are the
/// general path's to the bit (ReferenceEvaluatorTests compare them).
/// </summary>
internal sealed class PlainProduct
{
    private readonly float[] _left;
    private readonly float[] _right;
    private readonly long[] _leftStrides;
    private readonly long[] _rightStrides;
    private readonly int[] _extents;
    private readonly int _spatialRank;
    private readonly double _unitRoundoff;
    private readonly double _minNormal;

    private PlainProduct(float[] left, float[] right, long[] leftStrides, long[] rightStrides, int[] extents, int spatialRank, FloatFormat format)
    {
        _left = left;
        _right = right;
        _leftStrides = leftStrides;
        _rightStrides = rightStrides;
        _extents = extents;
        _spatialRank = spatialRank;
        _unitRoundoff = format.UnitRoundoff;
        _minNormal = format.MinNormal;
    }

    /// <summary>
    /// The fast path for <paramref name="op"/>'s body <c>left * right</c>, or null where it does not
    /// apply: an index that is not a plain axis (padding, strides, offsets), an input that is not finite,
    /// or inputs so large that a term could overflow the format (the general path then marks it unknown).
    /// </summary>
    public static PlainProduct? TryCreate(Operator op, TensorRead left, TensorRead right, IReadOnlyDictionary<string, float[]> inputs, FloatFormat format)
    {
        if (op.SpatialRank == 0)
        {
            return null;
        }
        var axes = op.Axes.Select(axis => axis.Name).ToList();
        var extents = op.Axes.Select(axis => axis.Extent).ToArray();
        var leftStrides = Strides(op, left, axes, extents);
        var rightStrides = Strides(op, right, axes, extents);
        if (leftStrides is null || rightStrides is null)
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
        return new PlainProduct(leftData, rightData, leftStrides, rightStrides, extents, op.SpatialRank, format);
    }

    /// <summary>Whether every index of both reads is a plain axis within its tensor (what the row path needs of the operator itself).</summary>
    public static bool HasPlainReads(Operator op, TensorRead left, TensorRead right)
    {
        var axes = op.Axes.Select(axis => axis.Name).ToList();
        var extents = op.Axes.Select(axis => axis.Extent).ToArray();
        return op.SpatialRank > 0 && Strides(op, left, axes, extents) is not null && Strides(op, right, axes, extents) is not null;
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
            SumSegment(point, length, element - start, values, absoluteSums, errors);
            element += length;
        }
    }

    private void SumSegment(int[] point, int length, int at, double[] values, double[] absoluteSums, double[] errors)
    {
        var last = _spatialRank - 1;
        var leftStep = _leftStrides[last];
        var rightStep = _rightStrides[last];
        var segmentValues = values.AsSpan(at, length);
        var segmentAbsoluteSums = absoluteSums.AsSpan(at, length);
        var segmentErrors = errors.AsSpan(at, length);
        do
        {
            var leftIndex = Offset(_leftStrides, point);
            var rightIndex = Offset(_rightStrides, point);
            // A matrix product's row: one operand fixed along the row, the other contiguous.
            if (leftStep == 0 && rightStep == 1)
            {
                AddScaledRow(_left[leftIndex], _right.AsSpan(checked((int)rightIndex), length), segmentValues, segmentAbsoluteSums, segmentErrors);
            }
            else if (rightStep == 0 && leftStep == 1)
            {
                AddScaledRow(_right[rightIndex], _left.AsSpan(checked((int)leftIndex), length), segmentValues, segmentAbsoluteSums, segmentErrors);
            }
            else
            {
                AddStridedTerms(leftIndex, leftStep, rightIndex, rightStep, segmentValues, segmentAbsoluteSums, segmentErrors);
            }
        }
        while (NextReducePoint(point));
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
        var left = _left;
        var right = _right;
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

    private static long Offset(long[] strides, int[] point)
    {
        long offset = 0;
        for (var a = 0; a < point.Length; a++)
        {
            offset += strides[a] * point[a];
        }
        return offset;
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

    /// <summary>Each axis's step through the tensor's row-major data, or null where an index is not a plain axis within the tensor.</summary>
    private static long[]? Strides(Operator op, TensorRead read, List<string> axes, int[] extents)
    {
        var shape = op.Inputs.First(tensor => tensor.Name == read.Tensor).Shape.ToArray();
        var strides = new long[axes.Count];
        long stride = 1;
        for (var d = read.Indices.Count - 1; d >= 0; d--)
        {
            var axis = read.Indices[d].PlainAxis is { } name ? axes.IndexOf(name) : -1;
            if (axis < 0 || extents[axis] > shape[d])
            {
                return null;
            }
            strides[axis] += stride;
            stride *= shape[d];
        }
        return strides;
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
