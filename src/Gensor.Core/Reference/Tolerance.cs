using System.Globalization;
using Gensor.Etir;

namespace Gensor.Reference;

/// <summary>
/// The roundings a correct kernel of an operator makes, from which the
/// reference's forward error bound and so the verifier's tolerance follow
/// (<see cref="ReferenceEvaluator"/>, <see cref="Verifier"/>): every operation
/// rounds in <paramref name="Arithmetic"/> (the accumulator's format, float32),
/// every input read inside the kernel is rounded by <paramref name="InputRounding"/>
/// relative to its size on top of its tensor's own type (TF32 tensor cores:
/// 2^-11; otherwise 0, because the reference sees the inputs already rounded to
/// their types), and the result is rounded once more to <paramref name="Output"/>
/// when stored (nothing for float32).
/// </summary>
/// <param name="Arithmetic">The format the kernel computes and accumulates in.</param>
/// <param name="InputRounding">u_in: relative rounding of every input inside the kernel (0 for none).</param>
/// <param name="Output">The output's element type.</param>
/// <param name="ReductionLength">L: points of the reduction (1 when there is none), for the rule's text.</param>
/// <param name="Reduction">The reduction's kind, for the rule's text (a maximum rounds nothing).</param>
public sealed record Tolerance(FloatFormat Arithmetic, double InputRounding, ElementType Output, long ReductionLength = 1, Reduction Reduction = Reduction.Sum)
{
    /// <summary>The unit roundoff of TF32 (10 stored significand bits, round to nearest).</summary>
    public const double Tf32UnitRoundoff = 1.0 / (1 << 11);

    /// <summary>The roundings of <paramref name="op"/>'s kernels; <paramref name="tf32"/> when its float32 inputs are rounded to TF32 on tensor cores.</summary>
    public static Tolerance Of(Operator op, bool tf32 = false) => new(
        FloatFormat.Of(op.AccumulatorType),
        tf32 ? Tf32UnitRoundoff : 0.0,
        op.Output.Type,
        op.ReductionLength,
        op.Reduction);

    /// <summary>The rule as one line for reports, e.g. <c>|err| &lt;= 2*bound(float32 operations, 128-term sum) + 2^-11*|x| (f16 output)</c>.</summary>
    public override string ToString()
    {
        var terms = ReductionLength <= 1 ? ""
            : $", {ReductionLength.ToString(CultureInfo.InvariantCulture)}-term {(Reduction == Reduction.Max ? "maximum (exact)" : "sum")}";
        var text = $"|err| <= {Verifier.Safety.ToString(CultureInfo.InvariantCulture)}*bound({Arithmetic.Name} operations{terms}";
        if (InputRounding > 0)
        {
            text += $", inputs rounded by {Power(InputRounding)} (tf32)";
        }
        text += ")";
        if (Output != ElementType.F32)
        {
            text += $" + {Power(Output.UnitRoundoff())}*|x| ({Output.Name()} output)";
        }
        return text;
    }

    private static string Power(double unit) => "2^" + Math.Round(Math.Log2(unit)).ToString(CultureInfo.InvariantCulture);
}
