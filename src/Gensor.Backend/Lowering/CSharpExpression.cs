using System.Globalization;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>Writes an element-wise <see cref="Expr"/> as a float32 C# expression for an ILGPU kernel.</summary>
internal static class CSharpExpression
{
    /// <summary>
    /// The C# text of <paramref name="expr"/>. Tensor reads are replaced by
    /// <paramref name="readText"/>(read, n), where n counts reads left to right
    /// in the same order as <see cref="Expr.Reads"/>.
    /// </summary>
    public static string Write(Expr expr, Func<TensorRead, int, string> readText)
    {
        var counter = 0;
        return Emit(expr);

        string Emit(Expr e) => e switch
        {
            Constant c => FloatLiteral(c.Value),
            TensorRead read => readText(read, counter++),
            Unary u => UnaryText(u.Op, Emit(u.Operand)),
            Binary b => BinaryText(b.Op, Emit(b.Left), Emit(b.Right)),
            _ => throw new NotSupportedException($"expression node {e.GetType().Name}"),
        };
    }

    // XMath (ILGPU.Algorithms) maps to the device's intrinsics on every backend,
    // so the same source runs on CUDA, OpenCL and the CPU accelerator.
    private static string UnaryText(UnaryOp op, string x) => UnaryText(ToIr(op), x);

    /// <summary>The C# text of element-wise function <paramref name="op"/> of <paramref name="x"/>.</summary>
    public static string UnaryText(Ir.UnaryOperator op, string x) => op switch
    {
        Ir.UnaryOperator.Negate => $"(-{x})",
        Ir.UnaryOperator.Relu => $"XMath.Max({x}, 0f)",
        Ir.UnaryOperator.Exp => $"XMath.Exp({x})",
        Ir.UnaryOperator.Tanh => $"XMath.Tanh({x})",
        Ir.UnaryOperator.Sigmoid => $"(1f / (1f + XMath.Exp(-({x}))))",
        Ir.UnaryOperator.Sqrt => $"XMath.Sqrt({x})",
        Ir.UnaryOperator.Abs => $"XMath.Abs({x})",
        _ => throw new NotSupportedException($"unary {op}"),
    };

    /// <summary>The IR's name for an ETIR element-wise function.</summary>
    public static Ir.UnaryOperator ToIr(UnaryOp op) => op switch
    {
        UnaryOp.Negate => Ir.UnaryOperator.Negate,
        UnaryOp.Relu => Ir.UnaryOperator.Relu,
        UnaryOp.Exp => Ir.UnaryOperator.Exp,
        UnaryOp.Tanh => Ir.UnaryOperator.Tanh,
        UnaryOp.Sigmoid => Ir.UnaryOperator.Sigmoid,
        UnaryOp.Sqrt => Ir.UnaryOperator.Sqrt,
        UnaryOp.Abs => Ir.UnaryOperator.Abs,
        _ => throw new NotSupportedException($"unary {op}"),
    };

    private static string BinaryText(BinaryOp op, string l, string r) => op switch
    {
        BinaryOp.Add => $"({l} + {r})",
        BinaryOp.Subtract => $"({l} - {r})",
        BinaryOp.Multiply => $"({l} * {r})",
        BinaryOp.Divide => $"({l} / {r})",
        BinaryOp.Max => $"XMath.Max({l}, {r})",
        BinaryOp.Min => $"XMath.Min({l}, {r})",
        _ => throw new NotSupportedException($"binary {op}"),
    };

    public static string FloatLiteral(double value)
    {
        var single = (float)value;
        if (float.IsPositiveInfinity(single))
        {
            return "float.PositiveInfinity";
        }
        if (float.IsNegativeInfinity(single))
        {
            return "float.NegativeInfinity";
        }
        if (float.IsNaN(single))
        {
            return "float.NaN";
        }
        var text = single.ToString("R", CultureInfo.InvariantCulture) + "f";
        return single < 0 ? $"({text})" : text;
    }
}
