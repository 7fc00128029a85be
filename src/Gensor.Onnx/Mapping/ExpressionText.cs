using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// Prints an expression with only the parentheses its structure needs, so an
/// imported suite reads like a hand-written one (<c>I[n,c,y+r-1,x+s-1] * W[f,c,r,s]</c>).
/// The text parses back to the same tree.
/// </summary>
public static class ExpressionText
{
    private const int _sum = 1;
    private const int _product = 2;
    private const int _unary = 3;
    private const int _primary = 4;

    public static string Format(Expr expr) => Format(expr, 0);

    private static string Format(Expr expr, int context)
    {
        var (text, precedence) = expr switch
        {
            Constant constant => (constant.ToString(), constant.Value < 0 ? _unary : _primary),
            TensorRead read => (read.ToString(), _primary),
            Unary { Op: UnaryOp.Negate } unary => ("-" + Format(unary.Operand, _unary), _unary),
            Unary unary => ($"{unary.Op.ToString().ToLowerInvariant()}({Format(unary.Operand, 0)})", _primary),
            Binary { Op: BinaryOp.Add or BinaryOp.Subtract } binary =>
                ($"{Format(binary.Left, _sum)} {(binary.Op == BinaryOp.Add ? "+" : "-")} {Format(binary.Right, _product)}", _sum),
            Binary { Op: BinaryOp.Multiply or BinaryOp.Divide } binary =>
                ($"{Format(binary.Left, _product)} {(binary.Op == BinaryOp.Multiply ? "*" : "/")} {Format(binary.Right, _unary)}", _product),
            Binary binary => ($"{binary.Op.ToString().ToLowerInvariant()}({Format(binary.Left, 0)}, {Format(binary.Right, 0)})", _primary),
            _ => throw new ArgumentException($"unknown expression {expr.GetType().Name}", nameof(expr)),
        };
        return precedence < context ? $"({text})" : text;
    }
}
