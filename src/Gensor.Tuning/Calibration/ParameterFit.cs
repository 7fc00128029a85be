namespace Gensor.Tuning.Calibration;

/// <summary>What calibration did with one profile constant.</summary>
/// <param name="Name">The profile file's key.</param>
/// <param name="Before">The value in the base profile.</param>
/// <param name="After">The value in the calibrated profile (the same when kept).</param>
/// <param name="Fitted">Whether the records determined it.</param>
/// <param name="Note">Why it was kept, when it was (no estimate depends on it, or it moves them as fitted ones do), or that a fitted value sits at the edge of its search range.</param>
public sealed record ParameterFit(string Name, double Before, double After, bool Fitted, string? Note);
