using Gensor.Etir;

namespace Gensor.Analysis;

/// <summary>
/// An operator that is a plain matrix product <c>C[m,n] += A[m,k] * B[k,n]</c>
/// (row-major A and B, no epilogue): the form tensor-core schedules compute.
/// </summary>
/// <param name="M">Rows of C and A.</param>
/// <param name="N">Columns of C and B.</param>
/// <param name="K">The reduction: columns of A, rows of B.</param>
/// <param name="A">The left operand's tensor.</param>
/// <param name="B">The right operand's tensor.</param>
/// <param name="C">The output's tensor.</param>
public sealed record MatrixProduct(int M, int N, int K, Tensor A, Tensor B, Tensor C)
{
    /// <summary>The operator as a matrix product, or null when it is not one.</summary>
    public static MatrixProduct? Of(Operator op)
    {
        if (op.Reduction != Reduction.Sum || op.Epilogue is not null || op.SpatialRank != 2 || op.ReduceRank != 1
            || op.Body is not Binary { Op: BinaryOp.Multiply, Left: TensorRead a, Right: TensorRead b } || a.Tensor == b.Tensor)
        {
            return null;
        }
        var axes = op.Axes.Select(axis => axis.Name).ToArray();
        var (m, n, k) = (axes[0], axes[1], axes[2]);
        if (!Plain(a, m, k) || !Plain(b, k, n))
        {
            return null;
        }
        var tensorA = op.InputNamed(a.Tensor);
        var tensorB = op.InputNamed(b.Tensor);
        var extents = op.Axes.Select(axis => axis.Extent).ToArray();
        // Reads past the end would be padding; a product whose tensors are exactly its extents has none.
        if (tensorA.Shape[0] != extents[0] || tensorA.Shape[1] != extents[2] || tensorB.Shape[0] != extents[2] || tensorB.Shape[1] != extents[1])
        {
            return null;
        }
        return new MatrixProduct(extents[0], extents[1], extents[2], tensorA, tensorB, op.Output);
    }

    private static bool Plain(TensorRead read, string row, string column) =>
        read.Indices.Count == 2 && read.Indices[0].PlainAxis == row && read.Indices[1].PlainAxis == column;
}
