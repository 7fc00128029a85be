using Gensor.Etir;

namespace Gensor.Tests.Construction;

/// <summary>Operators built by hand as ETIR, so construction is tested without the front end.</summary>
internal static class TestOperators
{
    public static AffineIndex Ix(string axis) => AffineIndex.OfAxis(axis);

    public static AffineIndex Ix(int constant, params (string Axis, int Coefficient)[] terms) =>
        new(ValueArray.From(terms.Select(t => new AffineTerm(t.Axis, t.Coefficient))), constant);

    public static TensorRead Read(string tensor, params AffineIndex[] indices) => new(tensor, indices);

    private static Axis S(string name, int extent) => new(name, extent, AxisKind.Spatial);

    private static Axis R(string name, int extent) => new(name, extent, AxisKind.Reduce);

    /// <summary>C[m,n] += A[m,k] * B[k,n].</summary>
    public static Operator Gemm(int m, int n, int k) =>
        new("gemm",
            new Tensor("C", new[] { m, n }),
            new[] { S("m", m), S("n", n), R("k", k) },
            new[] { new Tensor("A", new[] { m, k }), new Tensor("B", new[] { k, n }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply, Read("A", Ix("m"), Ix("k")), Read("B", Ix("k"), Ix("n"))),
            null);

    /// <summary>O[b,f,y,x] += I[b,c,y*s+r-p,x*s+q-p] * W[f,c,r,q].</summary>
    public static Operator Conv2d(int batch, int inChannels, int outChannels, int side, int window, int stride, int pad)
    {
        var outSide = (side + 2 * pad - window) / stride + 1;
        return new Operator("conv2d",
            new Tensor("O", new[] { batch, outChannels, outSide, outSide }),
            new[] { S("b", batch), S("f", outChannels), S("y", outSide), S("x", outSide), R("c", inChannels), R("r", window), R("s", window) },
            new[] { new Tensor("I", new[] { batch, inChannels, side, side }), new Tensor("W", new[] { outChannels, inChannels, window, window }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply,
                Read("I", Ix("b"), Ix("c"), Ix(-pad, ("y", stride), ("r", 1)), Ix(-pad, ("x", stride), ("s", 1))),
                Read("W", Ix("f"), Ix("c"), Ix("r"), Ix("s"))),
            null);
    }

    /// <summary>O[h,i,j] += Q[h,i,d] * K[h,j,d].</summary>
    public static Operator BatchedMatmul(int heads, int rows, int cols, int depth) =>
        new("bmm",
            new Tensor("O", new[] { heads, rows, cols }),
            new[] { S("h", heads), S("i", rows), S("j", cols), R("d", depth) },
            new[] { new Tensor("Q", new[] { heads, rows, depth }), new Tensor("K", new[] { heads, cols, depth }) },
            Reduction.Sum,
            new Binary(BinaryOp.Multiply, Read("Q", Ix("h"), Ix("i"), Ix("d")), Read("K", Ix("h"), Ix("j"), Ix("d"))),
            null);

    /// <summary>O[b,c,y,x] max= I[b,c,y*2+r-1,x*2+s-1], a 3x3 window with stride 2.</summary>
    public static Operator MaxPool(int batch, int channels, int side) =>
        new("maxpool",
            new Tensor("O", new[] { batch, channels, side / 2, side / 2 }),
            new[] { S("b", batch), S("c", channels), S("y", side / 2), S("x", side / 2), R("r", 3), R("s", 3) },
            new[] { new Tensor("I", new[] { batch, channels, side, side }) },
            Reduction.Max,
            Read("I", Ix("b"), Ix("c"), Ix(-1, ("y", 2), ("r", 1)), Ix(-1, ("x", 2), ("s", 1))),
            null);

    /// <summary>O[m] += A[m,k].</summary>
    public static Operator RowReduce(int m, int k) =>
        new("rowsum",
            new Tensor("O", new[] { m }),
            new[] { S("m", m), R("k", k) },
            new[] { new Tensor("A", new[] { m, k }) },
            Reduction.Sum,
            Read("A", Ix("m"), Ix("k")),
            null);

    /// <summary>C[m,n] = relu(A[m,n] + B[m,n]).</summary>
    public static Operator Elementwise(int m, int n) =>
        new("relu_add",
            new Tensor("C", new[] { m, n }),
            new[] { S("m", m), S("n", n) },
            new[] { new Tensor("A", new[] { m, n }), new Tensor("B", new[] { m, n }) },
            Reduction.None,
            new Unary(UnaryOp.Relu, new Binary(BinaryOp.Add, Read("A", Ix("m"), Ix("n")), Read("B", Ix("m"), Ix("n")))),
            null);

    /// <summary>A small instance of every kind, named for test output.</summary>
    public static IEnumerable<(string Name, Operator Operator)> Kinds() =>
    [
        ("gemm", Gemm(256, 192, 128)),
        ("conv2d", Conv2d(1, 32, 64, 28, 3, 1, 1)),
        ("conv2d_stride2", Conv2d(2, 16, 32, 28, 1, 2, 0)),
        ("bmm", BatchedMatmul(4, 128, 128, 64)),
        ("maxpool", MaxPool(1, 32, 56)),
        ("rowsum", RowReduce(512, 1000)),
        ("elementwise", Elementwise(300, 700)),
    ];
}
