using Gensor.Etir;
using Gensor.Onnx.Graph;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// A tensor seen as rows for a normalization (softmax, layer normalization):
/// the reduced dimensions form a row, the kept ones number the rows. It writes
/// the per-row reductions (one Gensor operator each, output over the kept axes)
/// and the final element-wise operator that reads the per-row results back.
/// No dimension is flattened, so every dimension keeps its own axis and an
/// operand broadcast along any of them still reads with an affine index.
/// </summary>
internal sealed class RowView
{
    private readonly TensorValue _x;
    private readonly int[] _reduced;
    private readonly int[] _kept;
    private readonly Dictionary<int, string?> _reduceAxes;

    public RowView(TensorValue x, int[] reduced)
    {
        _x = x;
        _reduced = reduced;
        _kept = Enumerable.Range(0, x.Rank).Except(reduced).ToArray();
        // With nothing kept there is one row; its result still needs an axis, of extent 1.
        KeptShape = _kept.Length == 0 ? ValueArray.Of(1L) : ValueArray.From(_kept.Select(d => x.Shape[d]));
        KeptAxes = Indices.Names("i", KeptShape.Count);
        // Reduced dimensions of extent 1 are read at index 0, so only the others get an axis (j, or j0, j1, ...).
        var wide = reduced.Where(d => x.Shape[d] > 1).ToArray();
        var names = Indices.Names("j", wide.Length);
        _reduceAxes = reduced.ToDictionary(d => d, d => Array.IndexOf(wide, d) is var at and >= 0 ? names[at] : null);
    }


    public ValueArray<long> KeptShape { get; }

    public IReadOnlyList<string> KeptAxes { get; }

    /// <summary>The row length: the product of the reduced extents.</summary>
    public long Length => _reduced.Aggregate(1L, (product, d) => product * _x.Shape[d]);

    /// <summary>The shape of a per-row result that keeps the reduced dimensions as 1 (ONNX's keepdims).</summary>
    public ValueArray<long> KeepDimsShape => ValueArray.From(_x.Shape.Select((extent, d) => _reduced.Contains(d) ? 1 : extent));

    public static int Axis(long axis, int rank) =>
        axis >= -rank && axis < rank ? (int)(axis < 0 ? axis + rank : axis) : throw new UnsupportedNodeException($"axis {axis} of a rank-{rank} tensor");

    /// <summary>
    /// A reduction over the rows into <paramref name="output"/>, which has either
    /// the kept extents or <see cref="KeepDimsShape"/>. Reduce axes of extent 1
    /// are read at index 0 rather than declared.
    /// </summary>
    public KernelDraft Reduce(string name, string onnxOp, string node, TensorValue output, Reduction reduction)
    {
        var dims = output.Rank == _x.Rank && _kept.Length != _x.Rank
            ? Enumerable.Range(0, _x.Rank).Select(d => _reduced.Contains(d) ? Indices.Constant(0) : Indices.Axis(KeptAxes[Array.IndexOf(_kept, d)])).ToArray()
            : KeptAxes.Select(Indices.Axis).ToArray();
        var draft = new KernelDraft(name, onnxOp, node, KeptAxes.Zip(KeptShape), output, dims) { Reduction = reduction };
        foreach (var d in _reduced)
        {
            if (_reduceAxes[d] is { } axis)
            {
                draft.AddReduceAxis(axis, _x.Shape[d]);
            }
        }
        return draft;
    }

    /// <summary>The input read at a point of a reduction written by <see cref="Reduce"/>.</summary>
    public Expr ReadInRow(KernelDraft draft, string tensor)
    {
        var indices = Enumerable.Range(0, _x.Rank).Select(d =>
        {
            var kept = Array.IndexOf(_kept, d);
            return kept >= 0 ? Indices.Axis(KeptAxes[kept]) : _reduceAxes[d] is { } axis ? Indices.Axis(axis) : Indices.Constant(0);
        });
        return Indices.Read(draft.Bind(tensor, _x, _x.Shape), indices);
    }

    /// <summary>A per-row result read in a reduction written by <see cref="Reduce"/>.</summary>
    public Expr ReadRowResult(KernelDraft draft, TensorValue result, string tensor) =>
        Indices.Read(draft.Bind(tensor, result, KeptShape), KeptAxes.Select(Indices.Axis));

    /// <summary>An element-wise operator over the whole input's shape, axes <c>i0, i1, ...</c>.</summary>
    public KernelDraft Elementwise(string name, string onnxOp, string node, TensorValue output)
    {
        var axes = Indices.Names("i", _x.Rank);
        return new KernelDraft(name, onnxOp, node, axes.Zip(_x.Shape), output, axes.Select(Indices.Axis).ToArray());
    }

    /// <summary>The input read at a point of <see cref="Elementwise"/>.</summary>
    public Expr ReadElement(KernelDraft draft, string tensor) =>
        Indices.Read(draft.Bind(tensor, _x, _x.Shape), draft.OutputAxes.Select(Indices.Axis));

    /// <summary>A per-row result read at a point of <see cref="Elementwise"/>: only the kept axes index it.</summary>
    public Expr ReadRowResultAtElement(KernelDraft draft, TensorValue result, string tensor)
    {
        var indices = _kept.Length == 0 ? [Indices.Constant(0)] : _kept.Select(d => Indices.Axis(draft.OutputAxes[d]));
        return Indices.Read(draft.Bind(tensor, result, KeptShape), indices);
    }

    /// <summary>The value a reduction's draft produces, as later operators read it.</summary>
    public static TensorValue ResultOf(KernelDraft draft) =>
        new(draft.OutputValue, draft.OutputShape, TensorValue.Float, NonNegative: draft.OutputNonNegative());
}
