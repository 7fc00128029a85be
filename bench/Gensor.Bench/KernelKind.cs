using Gensor.Etir;

namespace Gensor.Bench;

/// <summary>
/// What kind of kernel an operator makes, for the SASS table's criteria (issue 9's
/// "done when"). Decided by structure, not by name:
/// <list type="bullet">
/// <item><c>conv</c>: a sum of products of two inputs where some index combines axes (a window, <c>y+r-1</c>).</item>
/// <item><c>gemv</c>: a sum of products of plain indices where one input spans every output axis
/// longer than 1, so nothing of it is reused (the batch-1 fully-connected layer is one).</item>
/// <item><c>gemm</c>: a sum of products of plain indices with reuse of both inputs
/// (matrix products, batched ones, 1×1 convolutions).</item>
/// <item><c>other</c>: the rest (element-wise, pooling, single-input reductions).</item>
/// </list>
/// </summary>
internal static class KernelKind
{
    public static string Of(Operator op)
    {
        if (op.Reduction != Reduction.Sum || op.Body is not Binary { Op: BinaryOp.Multiply, Left: TensorRead left, Right: TensorRead right })
        {
            return "other";
        }
        if (left.Indices.Concat(right.Indices).Any(index => index.PlainAxis is null))
        {
            return "conv";
        }
        var spatial = op.SpatialAxes.Where(axis => axis.Extent > 1).Select(axis => axis.Name).ToHashSet();
        bool SpansOutput(TensorRead read) => spatial.IsSubsetOf(read.Indices.Select(index => index.PlainAxis!));
        return SpansOutput(left) || SpansOutput(right) ? "gemv" : "gemm";
    }
}
