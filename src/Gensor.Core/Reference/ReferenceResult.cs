namespace Gensor.Reference;

/// <summary>
/// The reference output of an operator, computed in double precision.
/// </summary>
/// <param name="Values">The output, row-major.</param>
/// <param name="Magnitude">
/// Per output element, the size of what was combined to produce it: for a sum
/// reduction the sum of the absolute body values, otherwise the absolute value.
/// Rounding error in float32 grows with it, so the verifier scales its tolerance by it.
/// </param>
public sealed record ReferenceResult(double[] Values, double[] Magnitude);
