using Gensor.Etir;

namespace Gensor.Bench;

/// <summary>
/// Operators built directly as ETIR, for running the experiment before the
/// front end can parse the suite files (and as a cross-check of them).
/// </summary>
internal static class HandBuilt
{
    public static AffineIndex Ix(string axis) => AffineIndex.OfAxis(axis);

    public static AffineIndex Ix(int constant, params (string Axis, int Coefficient)[] terms) =>
        new(ValueArray.From(terms.Select(t => new AffineTerm(t.Axis, t.Coefficient))), constant);

    public static TensorRead Read(string tensor, params AffineIndex[] indices) => new(tensor, indices);

    /// <summary>C[m,n] += A[m,k] * B[k,n], or with <paramref name="transposedB"/> B[n,k].</summary>
    public static Operator Gemm(string name, int m, int n, int k, bool transposedB = false) =>
        new(name,
            new Tensor("C", new[] { m, n }),
            new[] { new Axis("m", m, AxisKind.Spatial), new Axis("n", n, AxisKind.Spatial), new Axis("k", k, AxisKind.Reduce) },
            new[] { new Tensor("A", new[] { m, k }), new Tensor("B", transposedB ? new[] { n, k } : new[] { k, n }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply, Read("A", Ix("m"), Ix("k")), transposedB ? Read("B", Ix("n"), Ix("k")) : Read("B", Ix("k"), Ix("n"))),
            null);

    /// <summary>O[h,i,j] += X[h,i,d] * Y[h,j,d] (scores) or O[h,i,d] += X[h,i,j] * Y[h,j,d] (context).</summary>
    public static Operator BatchedScores(string name, int heads, int i, int j, int d) =>
        new(name,
            new Tensor("S", new[] { heads, i, j }),
            new[] { new Axis("h", heads, AxisKind.Spatial), new Axis("i", i, AxisKind.Spatial), new Axis("j", j, AxisKind.Spatial), new Axis("d", d, AxisKind.Reduce) },
            new[] { new Tensor("Q", new[] { heads, i, d }), new Tensor("K", new[] { heads, j, d }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply, Read("Q", Ix("h"), Ix("i"), Ix("d")), Read("K", Ix("h"), Ix("j"), Ix("d"))),
            null);

    public static Operator BatchedContext(string name, int heads, int i, int d, int j) =>
        new(name,
            new Tensor("O", new[] { heads, i, d }),
            new[] { new Axis("h", heads, AxisKind.Spatial), new Axis("i", i, AxisKind.Spatial), new Axis("d", d, AxisKind.Spatial), new Axis("j", j, AxisKind.Reduce) },
            new[] { new Tensor("P", new[] { heads, i, j }), new Tensor("V", new[] { heads, j, d }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply, Read("P", Ix("h"), Ix("i"), Ix("j")), Read("V", Ix("h"), Ix("j"), Ix("d"))),
            null);

    /// <summary>O[b,f,y,x] += I[b,c,y*s+r-p,x*s+q-p] * W[f,c,r,q] with a square input of side <paramref name="side"/>.</summary>
    public static Operator Conv2d(string name, int batch, int inChannels, int outChannels, int side, int window, int stride, int pad)
    {
        var outSide = (side + 2 * pad - window) / stride + 1;
        return new Operator(name,
            new Tensor("O", new[] { batch, outChannels, outSide, outSide }),
            new[]
            {
                new Axis("b", batch, AxisKind.Spatial), new Axis("f", outChannels, AxisKind.Spatial),
                new Axis("y", outSide, AxisKind.Spatial), new Axis("x", outSide, AxisKind.Spatial),
                new Axis("c", inChannels, AxisKind.Reduce), new Axis("r", window, AxisKind.Reduce), new Axis("s", window, AxisKind.Reduce),
            },
            new[] { new Tensor("I", new[] { batch, inChannels, side, side }), new Tensor("W", new[] { outChannels, inChannels, window, window }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply,
                Read("I", Ix("b"), Ix("c"), Ix(-pad, ("y", stride), ("r", 1)), Ix(-pad, ("x", stride), ("s", 1))),
                Read("W", Ix("f"), Ix("c"), Ix("r"), Ix("s"))),
            null);
    }
}
