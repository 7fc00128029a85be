using System.Globalization;

namespace Gensor.Etir;

/// <summary>
/// The right-hand side of a tensor expression (and of an epilogue): a tree of
/// constants, tensor reads, and element-wise functions. It says what is
/// computed for one point of the iteration space and nothing about how.
/// </summary>
public abstract record Expr
{
    /// <summary>Every tensor read in the expression, left to right.</summary>
    public IEnumerable<TensorRead> Reads() => this switch
    {
        TensorRead read => [read],
        Unary unary => unary.Operand.Reads(),
        Binary binary => binary.Left.Reads().Concat(binary.Right.Reads()),
        _ => [],
    };
}

/// <summary>A numeric literal.</summary>
public sealed record Constant(double Value) : Expr
{
    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A read of one element of a tensor; a read outside its bounds is 0.</summary>
public sealed record TensorRead(string Tensor, ValueArray<AffineIndex> Indices) : Expr
{
    public override string ToString() => $"{Tensor}[{string.Join(",", Indices)}]";
}

/// <summary>Element-wise functions of one argument.</summary>
public enum UnaryOp { Negate, Relu, Exp, Tanh, Sigmoid, Sqrt, Abs }

/// <summary>Element-wise functions of two arguments.</summary>
public enum BinaryOp { Add, Subtract, Multiply, Divide, Max, Min }

public sealed record Unary(UnaryOp Op, Expr Operand) : Expr
{
    public override string ToString() => Op == UnaryOp.Negate ? $"-({Operand})" : $"{Op.ToString().ToLowerInvariant()}({Operand})";
}

public sealed record Binary(BinaryOp Op, Expr Left, Expr Right) : Expr
{
    public override string ToString() => Op switch
    {
        BinaryOp.Add => $"({Left} + {Right})",
        BinaryOp.Subtract => $"({Left} - {Right})",
        // Parenthesized like + and -, so the text parses back to the same tree
        // (a / (b / c) must not print as a / b / c).
        BinaryOp.Multiply => $"({Left} * {Right})",
        BinaryOp.Divide => $"({Left} / {Right})",
        _ => $"{Op.ToString().ToLowerInvariant()}({Left}, {Right})",
    };
}
