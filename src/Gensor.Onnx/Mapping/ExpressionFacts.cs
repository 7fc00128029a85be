using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>What can be said about an expression without evaluating it: its sign, its depth.</summary>
internal static class ExpressionFacts
{
    /// <summary>Levels of the expression tree: 1 for a read or a constant.</summary>
    public static int Depth(Expr expr) => expr switch
    {
        Unary unary => 1 + Depth(unary.Operand),
        Binary binary => 1 + Math.Max(Depth(binary.Left), Depth(binary.Right)),
        _ => 1,
    };

    /// <summary>Whether the expression is never negative, given which reads are never negative.</summary>
    public static bool NonNegative(Expr expr, Func<TensorRead, bool> read) => expr switch
    {
        Constant constant => constant.Value >= 0,
        TensorRead tensorRead => read(tensorRead),
        Unary { Op: UnaryOp.Relu or UnaryOp.Exp or UnaryOp.Sigmoid or UnaryOp.Sqrt or UnaryOp.Abs } => true,
        Unary => false,
        Binary { Op: BinaryOp.Max } binary => NonNegative(binary.Left, read) || NonNegative(binary.Right, read),
        Binary { Op: BinaryOp.Multiply } binary when binary.Left == binary.Right => true,
        Binary { Op: BinaryOp.Add or BinaryOp.Multiply or BinaryOp.Divide or BinaryOp.Min } binary =>
            NonNegative(binary.Left, read) && NonNegative(binary.Right, read),
        _ => false,
    };
}
