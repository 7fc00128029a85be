using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// <c>MatMul</c> with numpy semantics: the last two dimensions multiply, the
/// leading ones are batch dimensions broadcast against each other (a batch
/// dimension of extent 1 is read at index 0), and a 1-D operand is a vector
/// whose axis is left out of the output.
/// </summary>
internal static class MatMulRule
{
    public static IReadOnlyList<KernelDraft> Map(NodeProto node, string name, MappingContext context)
    {
        var a = context.FloatInput(node, 0);
        var b = context.FloatInput(node, 1);
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw new UnsupportedNodeException("a scalar operand (MatMul takes tensors of rank 1 or more)");
        }
        if (a.Rank == 1 && b.Rank == 1)
        {
            throw new UnsupportedNodeException("two vectors (the result is a scalar, which a Gensor operator cannot write)");
        }
        var k = a.Shape[^1];
        var kb = b.Rank == 1 ? b.Shape[0] : b.Shape[^2];
        if (k != kb)
        {
            throw new UnsupportedNodeException($"inner extents differ: {k} and {kb}");
        }
        var batchA = a.Rank > 2 ? a.Shape.Take(a.Rank - 2).ToArray() : [];
        var batchB = b.Rank > 2 ? b.Shape.Take(b.Rank - 2).ToArray() : [];
        var batch = Broadcast.Shapes(batchA, batchB) ?? throw new UnsupportedNodeException($"batch dimensions [{string.Join("x", batchA)}] and [{string.Join("x", batchB)}] do not broadcast");
        var batchAxes = Indices.Names("b", batch.Length);

        var axes = batchAxes.Zip(batch).ToList();
        var shape = batch.ToList();
        if (a.Rank > 1)
        {
            axes.Add(("m", a.Shape[^2]));
            shape.Add(a.Shape[^2]);
        }
        if (b.Rank > 1)
        {
            axes.Add(("n", b.Shape[^1]));
            shape.Add(b.Shape[^1]);
        }
        var output = new TensorValue(node.Output[0], ValueArray.From(shape), TensorValue.Float);
        var draft = new KernelDraft(name, "MatMul", name, axes, output, axes.Select(axis => Indices.Axis(axis.Item1)).ToArray()) { Reduction = Reduction.Sum };
        draft.AddReduceAxis("k", k);
        var left = Indices.Read(draft.Bind("A", a, a.Shape), BatchIndices(batchA, batch, batchAxes).Concat(a.Rank > 1 ? [Indices.Axis("m"), Indices.Axis("k")] : [Indices.Axis("k")]));
        var right = Indices.Read(draft.Bind("B", b, b.Shape), BatchIndices(batchB, batch, batchAxes).Concat(b.Rank > 1 ? [Indices.Axis("k"), Indices.Axis("n")] : [Indices.Axis("k")]));
        draft.Body = new Binary(BinaryOp.Multiply, left, right);
        return [draft];
    }

    /// <summary>An operand's batch indices, right-aligned against the output's; extent 1 reads index 0.</summary>
    private static IEnumerable<AffineIndex> BatchIndices(long[] own, long[] output, string[] axes)
    {
        var offset = output.Length - own.Length;
        return own.Select((extent, j) => extent == 1 && output[offset + j] != 1 ? Indices.Constant(0) : Indices.Axis(axes[offset + j]));
    }
}
