namespace Gensor.Tuning.Calibration;

/// <summary>Records a calibration uses that one build of gensor measured, and how many.</summary>
/// <param name="Version">The build's informational version, as the records carry it.</param>
/// <param name="Count">How many of the records used.</param>
public sealed record RecordedVersion(string Version, int Count);
