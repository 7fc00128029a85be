using Gensor.Etir;

namespace Gensor.Tuning.Calibration;

/// <summary>One measured, verified kernel that calibration fits the model to.</summary>
/// <param name="Name">The operator's name when it was tuned (for reports).</param>
/// <param name="OpHash">The operator's canonical hash: samples of one operator are ranked together.</param>
/// <param name="Operator">The operator, rebuilt from the record's canonical text.</param>
/// <param name="Schedule">The schedule, in the rebuilt operator's (canonical) names.</param>
/// <param name="MeasuredMs">The measured median time.</param>
public sealed record CalibrationSample(string Name, string OpHash, Operator Operator, Schedule Schedule, double MeasuredMs);
