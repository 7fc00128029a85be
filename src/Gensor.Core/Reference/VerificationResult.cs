namespace Gensor.Reference;

/// <summary>The outcome of comparing a kernel's output with the reference.</summary>
/// <param name="Passed">Whether every element is within its tolerance.</param>
/// <param name="MaxAbsError">The largest absolute difference seen (infinity where NaN or infinities disagree).</param>
/// <param name="MaxAllowedRatio">The largest error divided by its element's tolerance; at most 1 when passed.</param>
/// <param name="FirstBadIndex">The first element outside its tolerance, or -1.</param>
public sealed record VerificationResult(bool Passed, double MaxAbsError, double MaxAllowedRatio, int FirstBadIndex);
