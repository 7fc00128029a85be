using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tests.Support;
using Gensor.Tuning;
using Gensor.Tuning.Records;

namespace Gensor.Tests.Workflow;

/// <summary>Records made without running anything, for tests of files and queries.</summary>
public static class Records
{
    public static Operator Gemm(int m = 32, int n = 32, int k = 16) =>
        Operators.Parse("C[m,n] += A[m,k] * B[k,n]", $"m={m},n={n},k={k}");

    public static TuningRecord Make(Operator op, string schedule, double? ms, string device = "cpu: test", string profile = "cpu", string policy = "gensor")
    {
        var parsed = Schedule.Parse(schedule);
        // A tolerance the verifier could have stated for the operator (no more than its ceiling), and an error within it.
        var tolerance = ToleranceCeiling.Of(op, Tolerance.Of(op, parsed.Mma == MmaShape.M16N8K8Tf32)) / 2;
        var measurement = ms is { } t
            ? new Measurement(true, tolerance / 4, t, t, t, 3, 0, null) { Tolerance = tolerance }
            : Measurement.Failed("did not verify");
        var result = new CandidateResult(parsed, 0.1, measurement);
        return TuningRecord.Of(CanonicalForm.Of(op), op.Name, device, profile, policy, result);
    }
}
