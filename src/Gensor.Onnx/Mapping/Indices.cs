using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>Shorthands for the affine indices the rules write.</summary>
internal static class Indices
{
    public static AffineIndex Axis(string axis) => AffineIndex.OfAxis(axis);

    public static AffineIndex Constant(long value) => new(ValueArray<AffineTerm>.Empty, checked((int)value));

    /// <summary><c>sum of coefficient*axis + constant</c>, leaving out zero coefficients.</summary>
    public static AffineIndex Sum(long constant, params (string Axis, long Coefficient)[] terms) =>
        new(ValueArray.From(terms.Where(t => t.Coefficient != 0).Select(t => new AffineTerm(t.Axis, checked((int)t.Coefficient)))), checked((int)constant));

    public static Expr Read(string tensor, IEnumerable<AffineIndex> indices) => new TensorRead(tensor, ValueArray.From(indices));

    /// <summary>Names for <paramref name="count"/> axes: the prefix alone for one, else prefix0, prefix1, ...</summary>
    public static string[] Names(string prefix, int count) =>
        count == 1 ? [prefix] : Enumerable.Range(0, count).Select(i => $"{prefix}{i}").ToArray();

    /// <summary>Names of the spatial dimensions of a convolution or pooling: x; y,x; z,y,x.</summary>
    public static string[] Spatial(int count) => count switch
    {
        1 => ["x"],
        2 => ["y", "x"],
        3 => ["z", "y", "x"],
        _ => throw new UnsupportedNodeException($"{count} spatial dimensions (1 to 3 are handled)"),
    };

    /// <summary>Names of the kernel window dimensions matching <see cref="Spatial"/>: s; r,s; q,r,s.</summary>
    public static string[] Window(int count) => count switch
    {
        1 => ["s"],
        2 => ["r", "s"],
        3 => ["q", "r", "s"],
        _ => throw new UnsupportedNodeException($"{count} spatial dimensions (1 to 3 are handled)"),
    };
}
