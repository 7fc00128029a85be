using Gensor.Hardware;

namespace Gensor.Tuning.Calibration;

/// <summary>A calibrated profile and how it came about.</summary>
/// <param name="Profile">The calibrated profile.</param>
/// <param name="Parameters">Every constant considered, fitted or kept.</param>
/// <param name="Before">Fit of the base profile's estimates.</param>
/// <param name="After">Fit of the calibrated profile's estimates.</param>
/// <param name="Evaluations">Objective evaluations spent (each estimates every sample once).</param>
public sealed record CalibrationResult(
    HardwareProfile Profile,
    IReadOnlyList<ParameterFit> Parameters,
    FitQuality Before,
    FitQuality After,
    int Evaluations);
