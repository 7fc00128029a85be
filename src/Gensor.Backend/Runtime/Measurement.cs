namespace Gensor.Backend.Runtime;

/// <summary>
/// What running one candidate kernel gave: whether its output matched the
/// reference, and, only if it did, its time (median of the timed runs, with
/// their spread). <see cref="Error"/> says why a candidate failed.
/// </summary>
public sealed record Measurement(
    bool Verified,
    double MaxAbsError,
    double? MedianMs,
    double? MinMs,
    double? MaxMs,
    int Repetitions,
    double LoadMs,
    string? Error)
{
    public static Measurement Failed(string error, double loadMs = 0) => new(false, double.NaN, null, null, null, 0, loadMs, error);
}
