using Gensor.Etir;
using Gensor.Tests.Support;
using Gensor.Tuning.Records;
using Xunit;

namespace Gensor.Tests.Calibration;

/// <summary>Calibration estimates records again, so a record's canonical text must rebuild its operator.</summary>
public class RecordedOperatorTests
{
    public static TheoryData<string, string> Samples => new()
    {
        { "gemm", "m=32,n=16,k=8" },
        { "gemm_bias_relu", "m=24,n=18,k=12" },
        { "bmm", "b=2,i=12,j=10,d=8" },
        { "conv2d", "n=1,f=6,y=7,x=7,c=3,r=3,s=3" },
        { "depthwise_conv", "n=1,c=5,y=9,x=9,r=3,s=3" },
        { "maxpool", "n=1,c=3,y=7,x=7,r=2,s=2" },
        { "row_reduce", "i=21,j=37" },
        { "gemv", "i=40,j=33" },
        { "elementwise", "m=9,n=33" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_samples_canonical_text_rebuilds_an_operator_of_the_same_hash(string sample, string shape)
    {
        var form = CanonicalForm.Of(Operators.SmallSample(sample, shape));

        var rebuilt = RecordedOperator.TryRebuild(form.Text, form.Hash);

        Assert.NotNull(rebuilt);
        Assert.Equal(form.Text, CanonicalForm.Of(rebuilt).Text);
    }

    [Fact]
    public void A_typed_operators_canonical_text_rebuilds_with_its_types()
    {
        var op = Gensor.FrontEnd.OperatorBuilder.Build(Gensor.FrontEnd.SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=32", "op", null)
            with { Dtype = "f16", Dtypes = new Dictionary<string, string> { ["C"] = "f32" } });
        var form = CanonicalForm.Of(op);

        var rebuilt = RecordedOperator.TryRebuild(form.Text, form.Hash);

        Assert.Contains("; types ", form.Text);
        Assert.NotNull(rebuilt);
        Assert.Equal(form.Text, CanonicalForm.Of(rebuilt).Text);
    }

    [Fact]
    public void Text_that_does_not_match_its_hash_is_refused()
    {
        var form = CanonicalForm.Of(Operators.SmallSample("gemm", "m=32,n=16,k=8"));

        Assert.Null(RecordedOperator.TryRebuild(form.Text, "0000"));
    }

    [Fact]
    public void Text_that_does_not_parse_is_refused() =>
        Assert.Null(RecordedOperator.TryRebuild("C[m] += ; epilogue -; extents m=x; shapes C[4]", "0000"));
}
