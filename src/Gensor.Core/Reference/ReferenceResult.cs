namespace Gensor.Reference;

/// <summary>
/// The reference output of an operator, computed in double precision, with a
/// bound on how far a correct kernel's output may be from it.
/// </summary>
/// <param name="Values">The output, row-major.</param>
/// <param name="ErrorBounds">
/// Per output element, a bound on the error of a kernel that computes the same
/// expression in <paramref name="Format"/>: a running error analysis of every
/// operation on the way (each rounding, propagated through the operations after
/// it) and of the reduction (n terms summed in any order). Positive infinity
/// where the format may overflow or the expression is near a singularity
/// (division by a value that rounding could make zero, a square root of a value
/// that rounding could make negative, max of a NaN): such an element cannot be
/// checked. Zero where a NaN or an infinity is exact.
/// </param>
/// <param name="Format">The floating-point type the bound is for.</param>
/// <param name="ReductionLength">Terms per output element (1 without a reduction), for the report.</param>
/// <param name="Output">
/// The output's type where it is narrower than <paramref name="Format"/> (a 16-bit
/// output), else null: the kernel rounds each value once more when it stores it,
/// which the verifier adds to the element's tolerance. Values that overflow it
/// are already its infinities here, and <paramref name="ErrorBounds"/> is infinite where they may.
/// </param>
public sealed record ReferenceResult(double[] Values, double[] ErrorBounds, FloatFormat Format, long ReductionLength = 1, FloatFormat? Output = null)
{
    /// <summary>
    /// Per output element, whether a NaN is right there as well as the value within its bound: a maximum
    /// or relu of a NaN is the other operand on a GPU and NaN on the CPU. Null: nowhere.
    /// </summary>
    public bool[]? OrNaN { get; init; }

    /// <summary>
    /// Whether some element has a finite value with a finite bound: what a comparison checks
    /// (<see cref="Verifier"/>). Where none has, every output overflows for certain, may overflow or is NaN,
    /// and no kernel's result can show anything of its arithmetic.
    /// </summary>
    public bool HasCheckableElement()
    {
        for (var i = 0; i < Values.Length; i++)
        {
            if (double.IsFinite(Values[i]) && double.IsFinite(ErrorBounds[i]))
            {
                return true;
            }
        }
        return false;
    }
}
