using Gensor.Diagnostics;
using Gensor.FrontEnd;

namespace Gensor.Tests.FrontEnd;

/// <summary>
/// Expressions are parsed and checked without unbounded recursion (issue 13,
/// item 5): past the stated depths they are refused as bad input, never a
/// stack overflow; within them every later stage copes.
/// </summary>
public sealed class ExpressionDepthTests
{
    [Fact]
    public void Parentheses_nested_past_the_limit_are_bad_input() =>
        Assert.Contains($"nested more than {ExpressionParser.MaxNesting} levels",
            BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = " + new string('(', 100_000) + "A[m]" + new string(')', 100_000))));

    [Fact]
    public void Unary_minuses_past_the_limit_are_bad_input() =>
        BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = " + new string('-', 200_000) + "A[m]"));

    [Fact]
    public void Function_calls_nested_past_the_limit_are_bad_input() =>
        BadInput.Thrown(() => ExpressionParser.ParseEpilogue(string.Concat(Enumerable.Repeat("relu(", 50_000)) + "C[m]" + new string(')', 50_000)));

    [Fact]
    public void Index_parentheses_nested_past_the_limit_are_bad_input() =>
        BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = A[" + new string('(', 50_000) + "m" + new string(')', 50_000) + "]"));

    [Fact]
    public void A_flat_sum_deeper_than_the_limit_is_bad_input() =>
        Assert.Contains("levels deep", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = " + string.Join(" + ", Enumerable.Repeat("A[m]", 25_000)))));

    [Fact]
    public void Parentheses_within_the_limit_parse()
    {
        var depth = ExpressionParser.MaxNesting - 1;

        var statement = ExpressionParser.ParseCompute("C[m] = " + new string('(', depth) + "A[m] * 2" + new string(')', depth));

        Assert.Equal("(A[m] * 2)", statement.Body.ToString());
    }

    [Fact]
    public void A_thousand_term_sum_builds_an_operator_that_every_stage_can_walk()
    {
        var body = string.Join(" + ", Enumerable.Range(0, 1000).Select(i => $"A[m] * {i % 7 + 1}"));

        var op = OperatorBuilder.Build(SpecReader.FromInline($"C[m] = {body}", "m=4", "long", null));

        Assert.Single(op.Inputs);
        Assert.Equal(1000, op.BodyReads.Count());
        Assert.NotEmpty(Gensor.Etir.CanonicalForm.Of(op).Hash);
    }

    [Fact]
    public void An_index_constant_of_int_min_is_bad_input()
    {
        // int.MinValue has no positive counterpart: negating it later overflowed.
        Assert.Contains("32 bits", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = A[m-2147483647-1]")));
        Assert.Contains("32 bits", BadInput.Thrown(() => ExpressionParser.ParseCompute("C[m] = A[(0-2147483647-1)*m]")));
    }

    [Fact]
    public void A_name_with_a_control_character_is_bad_input()
    {
        var spec = """{"name": "a\nb", "compute": "C[m] = A[m]", "shape": {"m": 4}}""";

        var message = BadInput.Thrown(() => SpecReader.Read(spec, "s.json"));

        Assert.Contains("control character", message);
        Assert.Contains("a\\nb", new GensorError(ErrorKind.BadInput, message).ToString());
    }

    [Fact]
    public void An_error_line_escapes_control_characters_from_what_it_quotes()
    {
        var error = new GensorError(ErrorKind.BadInput, "unknown profile 'x\nINJECTED\u001b[31m\u202e'");

        Assert.Equal("error: unknown profile 'x\\nINJECTED\\u001b[31m\\u202e'", error.ToString());
    }
}
