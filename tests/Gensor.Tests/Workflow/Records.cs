using Gensor.Backend.Runtime;
using Gensor.Etir;
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
        var measurement = ms is { } t
            ? new Measurement(true, 1e-6, t, t, t, 3, 0, null) { Tolerance = 1e-4 }
            : Measurement.Failed("did not verify");
        var result = new CandidateResult(Schedule.Parse(schedule), 0.1, measurement);
        return TuningRecord.Of(CanonicalForm.Of(op), op.Name, device, profile, policy, result);
    }
}
