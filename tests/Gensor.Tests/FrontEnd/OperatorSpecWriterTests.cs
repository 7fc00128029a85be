using Gensor.FrontEnd;
using Gensor.Reference;
using Gensor.Tests.Support;

namespace Gensor.Tests.FrontEnd;

/// <summary>An operator written back as a spec builds an operator that computes the same thing.</summary>
public sealed class OperatorSpecWriterTests
{
    [Theory]
    [InlineData("gemm_bias_relu", "m=6,n=5,k=4")]
    [InlineData("conv2d", "n=1,f=3,y=4,x=4,c=2,r=3,s=3")]
    [InlineData("maxpool", "n=1,c=2,y=3,x=3,r=3,s=3")]
    [InlineData("elementwise", "m=3,n=7")]
    public void A_written_spec_builds_an_equivalent_operator(string sample, string shape)
    {
        var op = Operators.SmallSample(sample, shape);

        var again = OperatorBuilder.Build(SpecReader.Read(OperatorSpecWriter.ToJson(OperatorSpecWriter.ToSpec(op)), "(test)")[0]);

        Assert.Equal(op.Axes, again.Axes);
        Assert.Equal(op.Inputs, again.Inputs);
        Assert.Equal(op.Output, again.Output);
        var inputs = InputGenerator.Generate(op, 3);
        Assert.Equal(ReferenceEvaluator.Evaluate(op, inputs).Values, ReferenceEvaluator.Evaluate(again, inputs).Values);
    }

    [Fact]
    public void Division_keeps_its_grouping_through_the_text()
    {
        var op = Operators.Parse("C[m] = A[m] / (B[m] / 3)", "m=4");

        var again = OperatorBuilder.Build(SpecReader.Read(OperatorSpecWriter.ToJson(OperatorSpecWriter.ToSpec(op)), "(test)")[0]);

        Assert.Equal(op.Body, again.Body);
    }
}
