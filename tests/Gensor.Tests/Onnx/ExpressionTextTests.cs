using Gensor.FrontEnd;
using Gensor.Onnx.Mapping;

namespace Gensor.Tests.Onnx;

/// <summary>Imported expressions print with only the parentheses they need, and parse back to the same tree.</summary>
public class ExpressionTextTests
{
    [Theory]
    [InlineData("A[i] * B[i] + C[i]")]
    [InlineData("(A[i] + B[i]) * C[i]")]
    [InlineData("A[i] - (B[i] - C[i])")]
    [InlineData("A[i] / (B[i] * C[i])")]
    [InlineData("A[i] * -0.5")]
    [InlineData("-(A[i] + B[i])")]
    [InlineData("relu(min(max(A[i], 0), 6))")]
    [InlineData("1 / sqrt(O[i] / 8 + 1E-05)")]
    public void PrintsMinimalTextThatParsesBackToTheSameTree(string text)
    {
        var expr = ExpressionParser.ParseEpilogue(text);

        var printed = ExpressionText.Format(expr);

        Assert.Equal(text, printed);
        Assert.Equal(expr, ExpressionParser.ParseEpilogue(printed));
    }
}
