namespace Gensor.Backend.Runtime;

/// <summary>
/// What running one candidate kernel gave: whether its output matched the
/// reference, and, only if it did, its time (median of the timed runs, with
/// their spread). <see cref="Error"/> says why a candidate failed.
/// </summary>
/// <remarks>
/// <see cref="Tolerance"/> is the largest error the verifier allowed an
/// element (see <c>Verifier</c>): records keep it, so that a reader can check
/// that a record claiming verified has an error within it.
/// </remarks>
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
    /// <summary>The largest tolerance verification applied to an element; NaN when it did not run.</summary>
    public double Tolerance { get; init; } = double.NaN;

    /// <summary>
    /// Of a verified kernel, how many output elements were compared with a finite reference value within a
    /// finite bound on random inputs (<c>VerificationResult.Checked</c>): fewer than the output's where the
    /// reference is NaN or infinite there, or the format could overflow or meet a singularity. Null when not known.
    /// </summary>
    public int? CheckedElements { get; init; }

    public static Measurement Failed(string error, double loadMs = 0) => new(false, double.NaN, null, null, null, 0, loadMs, error);
}
