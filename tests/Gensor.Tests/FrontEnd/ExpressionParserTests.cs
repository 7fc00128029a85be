using Gensor.Etir;
using Gensor.FrontEnd;
using Xunit;

namespace Gensor.Tests.FrontEnd;

public class ExpressionParserTests
{
    private static AffineIndex Index(string text)
    {
        // Z keeps every variable the cases write, so one that cancels out of A's index is still the operator's.
        var statement = ExpressionParser.ParseCompute($"O[i] += A[{text}] * Z[x,y,r]");
        return ((TensorRead)((Binary)statement.Body).Left).Indices[0];
    }

    private static AffineIndex Affine(int constant, params (string Axis, int Coefficient)[] terms) =>
        new(ValueArray.From(terms.Select(term => new AffineTerm(term.Axis, term.Coefficient))), constant);

    [Fact]
    public void PlusAssignIsASumReduction()
    {
        var statement = ExpressionParser.ParseCompute("C[m,n] += A[m,k] * B[k,n]");

        Assert.Equal("C", statement.Output);
        Assert.Equal(ValueArray.Of("m", "n"), statement.OutputAxes);
        Assert.Equal(Reduction.Sum, statement.Reduction);
        Assert.Equal(
            new Binary(BinaryOp.Multiply,
                new TensorRead("A", ValueArray.Of(AffineIndex.OfAxis("m"), AffineIndex.OfAxis("k"))),
                new TensorRead("B", ValueArray.Of(AffineIndex.OfAxis("k"), AffineIndex.OfAxis("n")))),
            statement.Body);
    }

    [Fact]
    public void MaxAssignIsAMaxReduction() =>
        Assert.Equal(Reduction.Max, ExpressionParser.ParseCompute("O[y] max= I[y*2+r]").Reduction);

    [Fact]
    public void PlainAssignIsNoReduction() =>
        Assert.Equal(Reduction.None, ExpressionParser.ParseCompute("C[i] = A[i]").Reduction);

    [Fact]
    public void StrideAndOffsetIndexKeepsTermsInWrittenOrder() =>
        Assert.Equal(Affine(-1, ("y", 2), ("r", 1)), Index("y*2+r-1"));

    [Fact]
    public void CoefficientMayPrecedeTheVariable() =>
        Assert.Equal(Affine(0, ("y", 2)), Index("2*y"));

    [Fact]
    public void NegatedVariablePlusConstant() =>
        Assert.Equal(Affine(3, ("x", -1)), Index("-x+3"));

    [Fact]
    public void PlainVariableIsAPlainIndex() =>
        Assert.Equal("i", Index("i").PlainAxis);

    [Fact]
    public void LikeTermsAreCombined() =>
        Assert.Equal(Affine(1, ("y", 3), ("r", 1)), Index("y + 2*y + r + 3 - 2"));

    [Fact]
    public void TermsThatCancelDisappear() =>
        Assert.Equal(Affine(1, ("r", 1)), Index("y + r - y + 1"));

    [Fact]
    public void ParenthesesInAnIndexDistributeTheCoefficient() =>
        Assert.Equal(Affine(-2, ("y", 2), ("r", 2)), Index("2*(y+r-1)"));

    [Fact]
    public void MultiplicationBindsTighterThanAddition()
    {
        var body = ExpressionParser.ParseEpilogue("A[i] + B[i] * 2");

        var sum = Assert.IsType<Binary>(body);
        Assert.Equal(BinaryOp.Add, sum.Op);
        Assert.Equal(BinaryOp.Multiply, Assert.IsType<Binary>(sum.Right).Op);
    }

    [Fact]
    public void SubtractionIsLeftAssociative()
    {
        var body = Assert.IsType<Binary>(ExpressionParser.ParseEpilogue("A[i] - B[i] - C[i]"));

        Assert.Equal(BinaryOp.Subtract, body.Op);
        Assert.Equal(new TensorRead("C", ValueArray.Of(AffineIndex.OfAxis("i"))), body.Right);
        Assert.Equal(BinaryOp.Subtract, Assert.IsType<Binary>(body.Left).Op);
    }

    [Fact]
    public void ParenthesesOverridePrecedence()
    {
        var body = Assert.IsType<Binary>(ExpressionParser.ParseEpilogue("(A[i] + B[i]) * 2"));

        Assert.Equal(BinaryOp.Multiply, body.Op);
        Assert.Equal(BinaryOp.Add, Assert.IsType<Binary>(body.Left).Op);
    }

    [Fact]
    public void UnaryMinusNegatesAnExpression() =>
        Assert.Equal(new Unary(UnaryOp.Negate, new TensorRead("A", ValueArray.Of(AffineIndex.OfAxis("i")))), ExpressionParser.ParseEpilogue("-A[i]"));

    [Fact]
    public void NegativeLiteralIsAConstant() =>
        Assert.Equal(new Constant(-0.5), ExpressionParser.ParseEpilogue("-0.5"));

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("1e-3", 1e-3)]
    [InlineData("2.5E+2", 250.0)]
    [InlineData("42", 42.0)]
    public void NumericConstantsParse(string text, double value) =>
        Assert.Equal(new Constant(value), ExpressionParser.ParseEpilogue(text));

    [Theory]
    [InlineData("relu", UnaryOp.Relu)]
    [InlineData("exp", UnaryOp.Exp)]
    [InlineData("tanh", UnaryOp.Tanh)]
    [InlineData("sigmoid", UnaryOp.Sigmoid)]
    [InlineData("sqrt", UnaryOp.Sqrt)]
    [InlineData("abs", UnaryOp.Abs)]
    public void UnaryFunctionsParse(string name, UnaryOp op) =>
        Assert.Equal(op, Assert.IsType<Unary>(ExpressionParser.ParseEpilogue($"{name}(A[i])")).Op);

    [Theory]
    [InlineData("max", BinaryOp.Max)]
    [InlineData("min", BinaryOp.Min)]
    public void BinaryFunctionsParse(string name, BinaryOp op) =>
        Assert.Equal(op, Assert.IsType<Binary>(ExpressionParser.ParseEpilogue($"{name}(A[i], 0)")).Op);

    [Theory]
    [InlineData("C[i] += A[i+j-j]", "compute: column 11: index variable 'j' cancels out")]
    [InlineData("C[i] += A[i, k*0]", "compute: column 14: index variable 'k' cancels out")]
    public void A_variable_that_cancels_out_of_every_index_it_is_written_in_is_refused(string compute, string words) =>
        Assert.StartsWith(words, BadInput.Thrown(() => ExpressionParser.ParseCompute(compute)));

    [Fact]
    public void A_variable_that_cancels_out_of_one_index_but_stays_in_another_is_kept()
    {
        var statement = ExpressionParser.ParseCompute("C[i] += A[i+j-j] * B[j]");

        Assert.Equal(AffineIndex.OfAxis("i"), ((TensorRead)((Binary)statement.Body).Left).Indices[0]);
        Assert.Equal(AffineIndex.OfAxis("j"), ((TensorRead)((Binary)statement.Body).Right).Indices[0]);
    }

    [Fact]
    public void SyntaxErrorNamesTheColumnAndWhatWasExpected()
    {
        var message = BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m,n] += A[m k] * B[k,n]"));

        Assert.Equal("compute: column 15: expected ']' but found 'k'", message);
    }

    [Fact]
    public void MissingOperandIsReportedAtTheEnd()
    {
        var message = BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] += A[i] *"));

        Assert.StartsWith("compute: column 15: expected", message);
        Assert.Contains("end of text", message);
    }

    [Fact]
    public void UnknownFunctionIsNamedWithItsColumn()
    {
        var message = BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] = foo(A[i])"));

        Assert.StartsWith("compute: column 8: unknown function 'foo'", message);
    }

    [Fact]
    public void FunctionWithTheWrongNumberOfArgumentsIsRejected() =>
        Assert.Contains("takes 2 arguments", BadInput.Thrown(() => ExpressionParser.ParseEpilogue("max(A[i])")));

    [Fact]
    public void NonPlainOutputIndexIsRejected()
    {
        var message = BadInput.Thrown(() => ExpressionParser.ParseCompute("O[y*2] += I[y]"));

        Assert.Equal("compute: column 3: output index 'y*2' is not a plain index variable", message);
    }

    [Fact]
    public void RepeatedOutputIndexIsRejected() =>
        Assert.Contains("output index 'i' appears twice", BadInput.Thrown(() => ExpressionParser.ParseCompute("O[i,i] = A[i]")));

    [Fact]
    public void OutputWithoutIndicesIsRejected() =>
        Assert.Contains("needs at least one index", BadInput.Thrown(() => ExpressionParser.ParseCompute("s[] += A[i]")));

    [Fact]
    public void ProductOfIndexVariablesIsNotAffine()
    {
        var message = BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] += A[i*j]"));

        Assert.Equal("compute: column 11: index 'i*j' is not affine (only integer multiples of index variables plus an integer)", message);
    }

    [Fact]
    public void DivisionInAnIndexIsNotAffine() =>
        Assert.Contains("column 11: index 'i/2' is not affine", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] += A[i/2]")));

    [Fact]
    public void FractionalIndexConstantIsRejected() =>
        Assert.Contains("column 13: index constant '0.5'", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] += A[i+0.5]")));

    [Fact]
    public void MissingAssignmentOperatorIsRejected() =>
        Assert.Contains("column 6: expected '=', '+=' or 'max='", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] A[i]")));

    [Fact]
    public void UnexpectedCharacterIsRejected() =>
        Assert.Equal("compute: column 13: unexpected character '#'", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] += A[i]#")));

    [Fact]
    public void BareIdentifierInTheBodyIsRejected() =>
        Assert.Contains("expected '[' or '(' after 'k'", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[i] = A[i] * k")));

    [Fact]
    public void NumberBeyondDoubleRangeIsRejected() =>
        Assert.Equal("epilogue: column 3: number '1e999' is out of range", BadInput.Thrown(() => ExpressionParser.ParseEpilogue("2*1e999")));

    [Fact]
    public void NumberGluedToALetterIsRejected() =>
        Assert.Contains("column 1: malformed number '2k'", BadInput.Thrown(() => ExpressionParser.ParseEpilogue("2k")));

    [Fact]
    public void EpilogueErrorsSayEpilogue() =>
        Assert.StartsWith("epilogue: column 14: expected", BadInput.Thrown(() => ExpressionParser.ParseEpilogue("relu(C[m,n] +)")));
}
