using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// <c>Gemm</c>: <c>alpha * A' B' + beta * C</c>. A transpose only swaps the
/// indices a read uses (<c>A[k,m]</c> for transA), so no data moves; alpha and
/// beta*C, broadcast against the output, become the epilogue.
/// </summary>
internal static class GemmRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var a = context.FloatInput(node, 0);
        var b = context.FloatInput(node, 1);
        var c = context.OptionalFloatInput(node, 2);
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw new UnsupportedNodeException($"operands of rank {a.Rank} and {b.Rank} (Gemm takes matrices)");
        }
        var transA = node.Int("transA", 0) != 0;
        var transB = node.Int("transB", 0) != 0;
        var alpha = node.Float("alpha", 1f);
        var beta = node.Float("beta", 1f);
        var (m, k) = transA ? (a.Shape[1], a.Shape[0]) : (a.Shape[0], a.Shape[1]);
        var (kb, n) = transB ? (b.Shape[1], b.Shape[0]) : (b.Shape[0], b.Shape[1]);
        if (k != kb)
        {
            throw new UnsupportedNodeException($"inner extents differ: {k} and {kb}");
        }
        var output = new TensorValue(node.Output[0], ValueArray.Of(m, n), TensorValue.Float);
        var draft = new KernelDraft(name, "Gemm", name, [("m", m), ("n", n)], output, [Indices.Axis("m"), Indices.Axis("n")]) { Reduction = Reduction.Sum };
        draft.AddReduceAxis("k", k);
        var left = Indices.Read(draft.Bind("A", a, a.Shape), transA ? [Indices.Axis("k"), Indices.Axis("m")] : [Indices.Axis("m"), Indices.Axis("k")]);
        var right = Indices.Read(draft.Bind("B", b, b.Shape), transB ? [Indices.Axis("n"), Indices.Axis("k")] : [Indices.Axis("k"), Indices.Axis("n")]);
        draft.Body = new Binary(BinaryOp.Multiply, left, right);
        if (alpha != 1f)
        {
            draft.Set(new Binary(BinaryOp.Multiply, draft.Current, Literal.Of(alpha)));
        }
        if (c is not null && beta != 0f)
        {
            var addend = draft.ReadBroadcast("C", c);
            draft.Set(new Binary(BinaryOp.Add, draft.Current, beta == 1f ? addend : new Binary(BinaryOp.Multiply, addend, Literal.Of(beta))));
        }
        return [draft];
    }
}
