using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Gensor.Tests.Support;
using Gensor.Tuning;
using Gensor.Tuning.Records;

namespace Gensor.Tests.Workflow;

/// <summary>
/// Records of kernels the real verifier passed are valid when read back (issue 13):
/// bounding a record's tolerance by its operator's ceiling keeps every tolerance the
/// verifier states, for each element type and TF32.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class VerifiedRecordTests(CpuDeviceFixture fixture)
{
    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=24", "f32", null, "block=16x16 thread=2x2 reduce=8 shared=A,B")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=24", "f32", "relu(C[m,n]) / 3 + exp(C[m,n] * 0.1)", "block=16x16 thread=1x1 reduce=4")]
    [InlineData("C[m,n] = sigmoid(A[m,n]) * tanh(B[m,n]) - sqrt(abs(A[m,n]))", "m=8,n=8", "f32", null, "block=64 thread=1 reduce=-")] // m and n fuse into one axis
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=32", "f16", null, "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=32", "bf16", null, "block=32x16 thread=16x16 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=24", "bf16", null, "block=16x16 thread=2x2 reduce=8")]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=32", "f32", null, "block=32x16 thread=16x16 reduce=8 shared=A,B mma=m16n8k8tf32")]
    public void A_record_of_a_verified_kernel_is_read_back_as_valid(string compute, string shape, string dtype, string? epilogue, string schedule)
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue) with { Dtype = dtype });
        var parsed = Schedule.Parse(schedule);
        var measurement = fixture.Run(new EtirState(op, parsed), "RecordedKernel", seed: 11, CpuDeviceFixture.Once);
        Assert.True(measurement.Verified, measurement.Error);

        var line = TuningRecord.Of(CanonicalForm.Of(op), op.Name, fixture.Device.Description, "cpu", "fixed", new CandidateResult(parsed, null, measurement)).ToJsonLine();
        var read = TuningRecord.TryParse(line, out var problem);

        Assert.True(read is not null, problem);
        Assert.Equal(measurement.Tolerance, read.Measurement.Tolerance);
        Assert.True(measurement.Tolerance <= ToleranceCeiling.Of(op, Tolerance.Of(op, parsed.Mma == MmaShape.M16N8K8Tf32)));
    }
}
