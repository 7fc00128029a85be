using System.Globalization;
using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// How far a correct kernel's output may be from the double-precision reference,
/// per element: <c>slack·max(1,|x|) + 4·L·u_acc·Σ|terms| + 2·u_in·Σ|terms| + u_out·(|x| + accumulation)</c>,
/// where x is the reference value, L the reduction length, Σ|terms| the sum of the
/// absolute body values (the reference's magnitude), u_acc the accumulator's unit
/// roundoff (float32), u_in the rounding of each input the kernel makes on top of the
/// tensors' own types (TF32 tensor cores: 2^-11; otherwise 0, because the reference
/// sees the inputs already rounded to their types) and u_out the output type's.
/// </summary>
/// <param name="ReductionLength">L: points of the reduction (1 when there is none).</param>
/// <param name="Accumulator">The type the kernel accumulates in.</param>
/// <param name="InputRounding">u_in: relative rounding of every input inside the kernel (0 for none).</param>
/// <param name="Output">The output's element type.</param>
/// <param name="Transcendental">Whether exp, tanh, sigmoid or sqrt occur, which GPUs compute a few ulps off.</param>
public sealed record Tolerance(long ReductionLength, ElementType Accumulator, double InputRounding, ElementType Output, bool Transcendental)
{
    /// <summary>Relative slack for what no bound covers (a different but correct order of operations in an epilogue).</summary>
    public const double RelativeSlack = 1e-5;

    /// <summary>The unit roundoff of TF32 (10 stored significand bits, round to nearest).</summary>
    public const double Tf32UnitRoundoff = 1.0 / (1 << 11);

    /// <summary>The tolerance for <paramref name="op"/>'s kernels; <paramref name="tf32"/> when its float32 inputs are rounded to TF32 on tensor cores.</summary>
    public static Tolerance Of(Operator op, bool tf32 = false) => new(
        op.ReductionLength,
        op.AccumulatorType,
        tf32 ? Tf32UnitRoundoff : 0.0,
        op.Output.Type,
        UsesTranscendental(op.Body) || (op.Epilogue is not null && UsesTranscendental(op.Epilogue)));

    /// <summary>The error allowed for an element whose reference value is <paramref name="want"/> and magnitude <paramref name="magnitude"/>.</summary>
    public double Allowed(double want, double magnitude)
    {
        var scale = Math.Max(1.0, Math.Abs(want));
        var accumulation = (4.0 * ReductionLength * Accumulator.UnitRoundoff() * magnitude) + (2.0 * InputRounding * magnitude);
        var allowed = (RelativeSlack * scale) + accumulation;
        if (Transcendental)
        {
            // GPU exp/tanh are a few ulps off, and exp amplifies the accumulated error by its own value.
            allowed += (RelativeSlack * scale) + (accumulation * scale);
        }
        if (Output != ElementType.F32)
        {
            // The one rounding at the store, of a value already off by at most the rest.
            allowed += Output.UnitRoundoff() * (Math.Abs(want) + allowed);
        }
        return allowed;
    }

    /// <summary>The rule as one line for reports, e.g. <c>|err| ≤ 1e-5·max(1,|x|) + 4·128·2^-24·Σ|terms| + 2^-11·|x| (f16 output)</c>.</summary>
    public override string ToString()
    {
        var text = $"|err| <= 1e-5*max(1,|x|) + 4*{ReductionLength.ToString(CultureInfo.InvariantCulture)}*{Power(Accumulator.UnitRoundoff())}*sum|terms|";
        if (InputRounding > 0)
        {
            text += $" + 2*{Power(InputRounding)}*sum|terms| (tf32 inputs)";
        }
        if (Transcendental)
        {
            text += ", doubled and scaled by |x| for transcendental functions";
        }
        if (Output != ElementType.F32)
        {
            text += $" + {Power(Output.UnitRoundoff())}*|x| ({Output.Name()} output)";
        }
        return text;
    }

    private static string Power(double unit) => "2^" + Math.Round(Math.Log2(unit)).ToString(CultureInfo.InvariantCulture);

    private static bool UsesTranscendental(Expr expr) => expr switch
    {
        Unary { Op: UnaryOp.Exp or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Sqrt } => true,
        Unary unary => UsesTranscendental(unary.Operand),
        Binary binary => UsesTranscendental(binary.Left) || UsesTranscendental(binary.Right),
        _ => false,
    };
}
