namespace Gensor.Tuning.Calibration;

/// <summary>Records left out of a calibration for one reason, and how many.</summary>
/// <param name="Reason">Why, e.g. "not verified".</param>
/// <param name="Count">How many records.</param>
public sealed record SkippedRecords(string Reason, int Count);
