namespace Gensor.Reference;

/// <summary>The outcome of comparing a kernel's output with the reference.</summary>
/// <param name="Passed">Whether every element was written and is within its tolerance, and at least one finite element was checked (see <paramref name="Checked"/>).</param>
/// <param name="MaxAbsError">The largest absolute difference over the checked finite elements (infinity where a NaN or an infinity disagrees).</param>
/// <param name="MaxAllowedRatio">The largest error divided by its element's tolerance; at most 1 when passed.</param>
/// <param name="FirstBadIndex">The first element outside its tolerance or never written, or -1.</param>
/// <param name="Tolerance">The largest tolerance applied to a checked finite element (0 when there is none); a verified result's <paramref name="MaxAbsError"/> is at most this.</param>
/// <param name="Checked">Elements whose finite reference value was compared against its tolerance. Where the reference is an infinity (the format overflows for certain) the output must be that infinity, but such a match is not counted: it shows nothing of the arithmetic.</param>
/// <param name="Unchecked">Elements that could not be checked: the format may overflow there, or the expression is near a singularity (see <see cref="ReferenceResult.ErrorBounds"/>).</param>
/// <param name="ReferenceNaN">Elements where the reference itself is NaN (the kernel must give NaN too; they check nothing else).</param>
/// <param name="Problem">Why it failed, for people (null when passed).</param>
public sealed record VerificationResult(
    bool Passed,
    double MaxAbsError,
    double MaxAllowedRatio,
    int FirstBadIndex,
    double Tolerance,
    int Checked,
    int Unchecked,
    int ReferenceNaN,
    string? Problem);
