using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Xunit;

namespace Gensor.Tests.Reference;

public class ReferenceEvaluatorTests
{
    private static Operator Build(string compute, string shape, string? epilogue = null, Dictionary<string, IReadOnlyList<long>>? tensors = null, string dtype = "f32") =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue) with { Tensors = tensors ?? [], Dtype = dtype });

    [Fact]
    public void MatrixProductMatchesHandComputation()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=2");
        var inputs = new Dictionary<string, float[]> { ["A"] = [1, 2, 3, 4], ["B"] = [5, 6, 7, 8] };

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        Assert.Equal([19.0, 22.0, 43.0, 50.0], result.Values);
    }

    [Fact]
    public void Every_element_of_a_large_output_is_evaluated_whatever_the_split_across_cores()
    {
        // 7,679 elements (a prime count) are split into ranges evaluated in parallel: each one must be
        // the plain sum over k in order, epilogue applied, exactly as one core would compute it.
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=7679,n=1,k=5", epilogue: "relu(C[m,n]) + 1");
        var inputs = InputGenerator.Generate(op, seed: 3);
        var a = inputs["A"];
        var b = inputs["B"];

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        Assert.Equal(7679, result.Values.Length);
        for (var m = 0; m < 7679; m++)
        {
            var sum = 0.0;
            for (var k = 0; k < 5; k++)
            {
                sum += (double)a[(m * 5) + k] * b[k];
            }
            Assert.Equal(Math.Max(sum, 0) + 1, result.Values[m]);
            Assert.True(result.ErrorBounds[m] > 0, $"element {m} has no error bound");
        }
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=9,n=7,k=13", "relu(C[m,n]) * 2")]
    // Padding and a stride: reads outside the input are zero, on both paths.
    [InlineData("O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]", "n=2,f=3,c=4,y=5,x=5,r=3,s=3", null)]
    [InlineData("O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]", "n=1,c=3,y=6,x=6,r=3,s=3", null)]
    [InlineData("S[b,i,j] += Q[b,i,d] * K[b,j,d]", "b=3,i=5,j=4,d=6", null)]
    [InlineData("y[i] += A[i,j] * x[j]", "i=11,j=17", null)]
    // A reduce axis in two dimensions of one read, and one of extent 1.
    [InlineData("C[m] += A[m+k,k] * B[k,u]", "m=4,k=5,u=1", null)]
    // Transposed reads over an output split across cores mid-row, a diagonal read, an operand broadcast
    // over a batch, a dilated window, the row's axis in two indices of one read.
    [InlineData("C[m,n] += A[k,m] * B[n,k]", "m=37,n=53,k=9", "C[m,n] + 1")]
    [InlineData("C[i] += A[i,k] * B[k,k]", "i=6,k=5", null)]
    [InlineData("O[b,m,n] += A[b,m,k] * B[k,n]", "b=2,m=3,n=70,k=4", null)]
    [InlineData("O[c,y,x] += I[c,y+2*r-2,x+2*s-2] * W[c,r,s]", "c=2,y=5,x=21,r=3,s=3", null)]
    [InlineData("C[m,n] += A[n+k,n] * B[k,m]", "m=3,n=11,k=4", null)]
    // Inputs whose terms could overflow float32: the row path refuses them, the stepped one runs.
    [InlineData("O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]", "n=1,f=2,c=3,y=5,x=5,r=3,s=3", null, 1e20f)]
    public void The_product_path_gives_what_the_interpreter_gives_bit_for_bit(string compute, string shape, string? epilogue, float scale = 1)
    {
        var op = Build(compute, shape, epilogue);
        var inputs = InputGenerator.Generate(op, seed: 7).ToDictionary(input => input.Key, input => input.Value.Select(value => value * scale).ToArray());

        var fast = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op), interpretOnly: false);
        var interpreted = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op), interpretOnly: true);

        Assert.Equal(interpreted.Values, fast.Values);
        Assert.Equal(interpreted.ErrorBounds, fast.ErrorBounds);
        Assert.Contains(fast.Values, value => value != 0);
    }

    [Fact]
    public void Random_windows_give_what_the_interpreter_gives_bit_for_bit()
    {
        // Strides, dilations, paddings and input sizes drawn at random: wherever a window leaves its
        // input, on either side of the row, the row path must add the same zero terms the interpreter does.
        var random = new Random(11);
        for (var trial = 0; trial < 24; trial++)
        {
            int stride = random.Next(1, 3), dilation = random.Next(1, 3), padding = random.Next(0, 3);
            int y = random.Next(1, 6), x = random.Next(1, 19), r = random.Next(1, 4), s = random.Next(1, 4), c = random.Next(1, 3);
            var height = random.Next(1, (y * stride) + 3);
            var width = random.Next(1, (x * stride) + 3);
            var compute = $"O[f,y,x] += I[c,y*{stride}+r*{dilation}-{padding},x*{stride}+s*{dilation}-{padding}] * W[f,c,r,s]";
            var op = Build(compute, $"f=2,c={c},y={y},x={x},r={r},s={s}", tensors: new() { ["I"] = [c, height, width] });
            var inputs = InputGenerator.Generate(op, seed: trial);

            var fast = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op), interpretOnly: false);
            var interpreted = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op), interpretOnly: true);

            Assert.True(interpreted.Values.SequenceEqual(fast.Values), $"values differ: {compute} with I {c}x{height}x{width}");
            Assert.True(interpreted.ErrorBounds.SequenceEqual(fast.ErrorBounds), $"bounds differ: {compute} with I {c}x{height}x{width}");
        }
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=3,n=20,k=4096", null)]
    [InlineData("O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]", "n=1,f=2,c=3,y=5,x=5,r=3,s=3", null)]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=3,n=5,k=64", "relu(C[m,n]) * 2")]
    // Other bodies of integer operations: a row sum, a product of three, differences, constants, max and abs.
    [InlineData("y[i] += A[i,j]", "i=3,j=70000", null)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] * s[k]", "m=3,n=4,k=20000", null)]
    [InlineData("C[m,n] += max(A[m,k], -B[k,n]) * 3 - abs(A[m,k] - s[k])", "m=3,n=4,k=500", null)]
    // Power-of-two fractions: every value a multiple of 1/8.
    [InlineData("C[m,n] += A[m,k] * B[k,n] * 0.5 - s[k] / 8", "m=3,n=4,k=20000", null)]
    public void Integer_inputs_within_the_significand_leave_a_sum_no_error(string compute, string shape, string? epilogue)
    {
        var op = Build(compute, shape, epilogue);
        var magnitude = InputGenerator.IntegerMagnitude(op)!.Value;
        var inputs = InputGenerator.GenerateIntegers(op, seed: 3, magnitude);

        var result = ReferenceEvaluator.Evaluate(op, inputs);
        var interpreted = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op), interpretOnly: true);

        // The sum is exact; an epilogue's operations still count their roundings (a few units of the value).
        for (var e = 0; e < result.Values.Length; e++)
        {
            var roundings = epilogue is null ? 0 : (8 * FloatFormat.Float32.UnitRoundoff * Math.Abs(result.Values[e])) + (2 * FloatFormat.Float32.MinNormal);
            Assert.InRange(result.ErrorBounds[e], 0, roundings);
        }
        Assert.Equal(interpreted.Values, result.Values);
        Assert.Equal(interpreted.ErrorBounds, result.ErrorBounds);
        Assert.All(inputs.Values.SelectMany(values => values), value => Assert.True(value != 0 && value == MathF.Round(value) && Math.Abs(value) <= magnitude));
    }

    [Fact]
    public void Integer_sums_beyond_the_significand_or_non_integers_keep_their_bound()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=64");
        var beyond = new Dictionary<string, float[]> { ["A"] = Enumerable.Repeat(512f, 128).ToArray(), ["B"] = Enumerable.Repeat(512f, 128).ToArray() };
        var fraction = new Dictionary<string, float[]> { ["A"] = Enumerable.Repeat(1.5f, 128).ToArray(), ["B"] = Enumerable.Repeat(1f, 128).ToArray() };

        // 64 x 512 x 512 = 2^24 exactly is still exact; one more bit is not.
        Assert.All(ReferenceEvaluator.Evaluate(op, beyond).ErrorBounds, bound => Assert.Equal(0, bound));
        beyond["A"][0] = 1024f;
        Assert.Contains(ReferenceEvaluator.Evaluate(op, beyond).ErrorBounds, bound => bound > 0);
        Assert.All(ReferenceEvaluator.Evaluate(op, fraction).ErrorBounds, bound => Assert.True(bound > 0));
        Assert.Null(InputGenerator.IntegerMagnitude(Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=33554432")));
    }

    [Theory]
    // The largest magnitude whose sums stay within 2^24: 8 at most, then what the body's degree allows.
    [InlineData("y[i] += A[i,j]", "i=2,j=2097152", 8)]
    [InlineData("y[i] += A[i,j]", "i=2,j=4194304", 4)]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=1048576", 4)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] * s[k]", "m=2,n=2,k=65536", 6)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] + s[k]", "m=2,n=2,k=262144", 7)]
    // A power-of-two fraction keeps every value a multiple of it: 0.5 costs one bit of the significand
    // ((magnitude^2 + 0.5) x 2^18 x 2 <= 2^24 up to 5, where the integer body above allows 8).
    [InlineData("C[m,n] += A[m,k] * B[k,n] * 0.5", "m=2,n=2,k=4", 8)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] / 4", "m=2,n=2,k=4", 8)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] + 0.5", "m=2,n=2,k=262144", 5)]
    // Division by an input or by 3, a fraction that is not a power of two, a function that rounds prove nothing on integers.
    [InlineData("C[m,n] += A[m,k] / B[k,n]", "m=2,n=2,k=4", null)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] / 3", "m=2,n=2,k=4", null)]
    [InlineData("C[m,n] += A[m,k] * B[k,n] * 0.1", "m=2,n=2,k=4", null)]
    [InlineData("C[m,n] += exp(A[m,k]) * B[k,n]", "m=2,n=2,k=4", null)]
    // Maxima whose every term one sign per input makes negative: a read, a negated read (min-pooling), a product.
    [InlineData("O[c,y] max= I[c,y+r]", "c=2,y=4,r=3", 8)]
    [InlineData("O[c,y] max= -I[c,y+r]", "c=2,y=4,r=3", 8)]
    [InlineData("C[m,n] max= A[m,k] * B[k,n]", "m=2,n=2,k=4", 8)]
    // Maxima no sign makes negative, or whose terms round: left to random inputs.
    [InlineData("O[c,y] max= abs(I[c,y+r])", "c=2,y=4,r=3", null)]
    [InlineData("O[c,y] max= relu(I[c,y+r])", "c=2,y=4,r=3", null)]
    [InlineData("C[m,n] max= A[m,k] * A[m,k]", "m=2,n=2,k=4", null)]
    [InlineData("O[c,y] max= exp(I[c,y+r])", "c=2,y=4,r=3", null)]
    public void Integer_magnitudes_follow_the_body(string compute, string shape, int? magnitude) =>
        Assert.Equal(magnitude, InputGenerator.IntegerMagnitude(Build(compute, shape)));

    [Theory]
    // Every term negative: the read's values negative, a negated read's positive, a product's factors of opposite signs.
    [InlineData("O[c,y] max= I[c,y+r]", "c=2,y=4,r=3")]
    [InlineData("O[c,y] max= -I[c,y+r]", "c=2,y=4,r=3")]
    [InlineData("C[m,n] max= A[m,k] * B[k,n]", "m=3,n=3,k=4")]
    [InlineData("C[m,n] max= -(A[m,k] * B[k,n]) - s[k]", "m=3,n=3,k=4")]
    public void Integer_inputs_of_a_maximum_make_every_term_negative(string compute, string shape)
    {
        var op = Build(compute, shape);
        var magnitude = InputGenerator.IntegerMagnitude(op)!.Value;

        var inputs = InputGenerator.GenerateIntegers(op, seed: 3, magnitude);
        var result = ReferenceEvaluator.Evaluate(op, inputs);

        // Each output is the largest of its terms: negative integers, so a maximum from 0 is wrong everywhere.
        Assert.All(result.Values, value => Assert.True(value <= -1 && value == Math.Round(value), $"{compute}: output {value}"));
        Assert.All(inputs.Values, values => Assert.True(values.All(v => v > 0) || values.All(v => v < 0), $"{compute}: one sign per input"));
        Assert.All(inputs.Values.SelectMany(values => values), value => Assert.True(value == MathF.Round(value) && Math.Abs(value) is >= 1 and <= 8));
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=4,n=5,k=6", 1f, true)]
    [InlineData("y[i] += A[i,j] * x[j]", "i=4,j=6", 1f, true)]
    [InlineData("O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]", "n=1,c=2,y=4,x=4,r=3,s=3", 1f, true)]
    // Terms that could overflow float32: the stepped path, which marks them unknown.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=4,n=5,k=6", 1e20f, false)]
    public void Only_products_with_terms_far_from_overflow_take_the_row_path(string compute, string shape, float scale, bool rows)
    {
        var op = Build(compute, shape);
        var inputs = InputGenerator.Generate(op, seed: 5).ToDictionary(input => input.Key, input => input.Value.Select(value => value * scale).ToArray());
        var body = (Binary)op.Body;

        var product = RowProduct.TryCreate(op, (TensorRead)body.Left, (TensorRead)body.Right, inputs, FloatFormat.Float32);

        Assert.Equal(rows, product is not null);
    }

    [Fact]
    public void The_error_bound_of_a_sum_grows_with_its_terms_and_their_magnitudes()
    {
        var op = Build("C[m] += A[m,k] * B[k]", "m=1,k=2");
        // Not all integers: a sum of integer products this small would be exact, with no error to allow.
        var inputs = new Dictionary<string, float[]> { ["A"] = [1.5f, 2], ["B"] = [3, -4] };

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        Assert.Equal([-3.5], result.Values);
        // Each product is exact in value but rounded once (u|4.5| and u|8|); the sum of two
        // terms adds one rounding of at most u times the sum of absolute terms (12.5).
        var u = FloatFormat.Float32.UnitRoundoff;
        Assert.InRange(result.ErrorBounds[0], (4.5 + 8 + 12.5) * u, (4.5 + 8 + 12.5) * u * 1.01);
    }

    [Fact]
    public void An_exact_copy_has_no_error_to_allow()
    {
        var op = Build("C[m] = A[m]", "m=2");

        var result = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [1.5f, -2] });

        Assert.Equal([0.0, 0.0], result.ErrorBounds);
    }

    [Fact]
    public void The_bound_follows_the_unit_roundoff_of_the_format()
    {
        var op = Build("C[m] += A[m,k] * 3", "m=1,k=100");
        var inputs = new Dictionary<string, float[]> { ["A"] = Enumerable.Repeat(0.5f, 100).ToArray() };
        // float16 for instance: 11-bit significand.
        var half = new FloatFormat("float16", Math.ScaleB(1.0, -11), Math.ScaleB(1.0, -14), 65504);

        var single = ReferenceEvaluator.Evaluate(op, inputs).ErrorBounds[0];
        var narrow = ReferenceEvaluator.Evaluate(op, inputs, half).ErrorBounds[0];

        // 2^13 times coarser rounding, a little more for the second-order factor 1 / (1 - (n-1)u) of the sum.
        Assert.InRange(narrow / single, 8192, 9000);
    }

    [Fact]
    public void A_value_that_overflows_float32_is_its_infinity()
    {
        var op = Build("C[m] = exp(A[m] + 100)", "m=1");

        var result = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [0] });

        Assert.Equal(double.PositiveInfinity, result.Values[0]);
        Assert.Equal(0.0, result.ErrorBounds[0]);
    }

    [Theory]
    // From the midpoint of a format's largest value and the next power of two, round to nearest gives
    // infinity: 65520 in float16 (65504 + 16), 2^128 - 2^119 in bfloat16 (its largest is 255 * 2^120).
    [InlineData("f16", 65525.0, true)]
    [InlineData("f16", 65519.0, false)]
    [InlineData("bf16", 3.399e38, true)]
    [InlineData("bf16", 3.393e38, false)]
    public void A_stored_value_past_the_midpoint_above_the_largest_is_infinity(string dtype, double constant, bool infinite)
    {
        var op = Build("C[m] = A[m] * 0 + " + constant.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "m=2", dtype: dtype);

        var result = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, seed: 1));

        Assert.Equal(infinite, double.IsPositiveInfinity(result.Values[0]));
        Assert.True(double.IsFinite(result.ErrorBounds[0]), $"bound {result.ErrorBounds[0]}: the value is certain either way");
    }

    [Fact]
    public void A_division_by_what_rounding_could_make_zero_cannot_be_checked()
    {
        var op = Build("C[m] = 1 / (A[m] - 0.5)", "m=1");

        var result = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [0.5f] });

        Assert.Equal(double.PositiveInfinity, result.ErrorBounds[0]);
    }

    [Fact]
    public void ReadsOutsideATensorAreZero()
    {
        var op = Build("O[y] += I[y+r-1] * W[r]", "y=3,r=3", tensors: new() { ["I"] = [3L] });
        var inputs = new Dictionary<string, float[]> { ["I"] = [1, 2, 3], ["W"] = [1, 1, 1] };

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        Assert.Equal([3.0, 6.0, 5.0], result.Values);
    }

    [Fact]
    public void MaxReductionTakesTheLargestEvenWhenAllAreNegative()
    {
        var op = Build("O[y] max= I[y*2+r]", "y=2,r=2");
        var inputs = new Dictionary<string, float[]> { ["I"] = [1, -5, -3, -2] };

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        Assert.Equal([1.0, -2.0], result.Values);
        // A maximum of exact values is exact.
        Assert.Equal([0.0, 0.0], result.ErrorBounds);
    }

    [Fact]
    public void EpilogueAppliesToTheAccumulatedValue()
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=1,n=2,k=2", "relu(C[m,n] + bias[n])");
        var inputs = new Dictionary<string, float[]>
        {
            ["A"] = [1, 2],
            ["B"] = [3, 1, -4, 1],
            ["bias"] = [2, 0.5f],
        };

        var result = ReferenceEvaluator.Evaluate(op, inputs);

        // Column 0 accumulates 3 - 8 = -5, and relu(-5 + 2) = 0; column 1 accumulates 3, plus 0.5.
        Assert.Equal([0.0, 3.5], result.Values);
    }

    [Fact]
    public void ElementwiseOperatorEvaluatesOncePerElement()
    {
        var op = Build("C[m,n] = A[m,n] * 2 + B[m,n]", "m=1,n=2");
        var inputs = new Dictionary<string, float[]> { ["A"] = [1, -1], ["B"] = [0.5f, 0.25f] };

        Assert.Equal([2.5, -1.75], ReferenceEvaluator.Evaluate(op, inputs).Values);
    }

    [Fact]
    public void FunctionsFollowTheirDefinitions()
    {
        var op = Build("C[i] = sigmoid(A[i]) + tanh(A[i]) + exp(A[i]) + sqrt(abs(A[i])) + max(A[i], 0) - min(A[i], 0) + relu(-A[i])", "i=1");
        var x = -0.75;
        var inputs = new Dictionary<string, float[]> { ["A"] = [(float)x] };

        var expected = (1 / (1 + Math.Exp(-x))) + Math.Tanh(x) + Math.Exp(x) + Math.Sqrt(Math.Abs(x)) + 0 - x + 0.75;

        Assert.Equal(expected, ReferenceEvaluator.Evaluate(op, inputs).Values[0], 12);
    }

    [Theory]
    [InlineData("C[i] = sqrt(abs(A[i] * B[i] - A[i] * B[i]))")]
    [InlineData("C[i] = sqrt(relu(A[i] * B[i] - B[i] * A[i]))")]
    public void A_square_root_of_an_absolute_value_or_a_relu_is_checked_where_its_argument_cancels(string compute)
    {
        // The argument is 0 in double precision and within its rounding of 0 in a kernel, but never below
        // it: the kernel cannot give NaN, so every element has a finite bound (found by fuzzing: all were
        // unchecked, and tune refused the operator as unverifiable).
        var op = Build(compute, "i=8");
        var reference = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, seed: 1));

        Assert.All(reference.ErrorBounds, bound => Assert.True(double.IsFinite(bound) && bound > 0, $"bound {bound}"));
        Assert.True(Verifier.Compare(reference, new float[8]).Passed);
        Assert.False(Verifier.Compare(reference, [.. Enumerable.Repeat(0.25f, 8)]).Passed);
    }

    [Fact]
    public void A_square_root_of_a_cancelling_difference_that_may_round_below_zero_is_not_checked()
    {
        // Without an absolute value the kernel's argument may be a negative rounding error, and its root NaN.
        var op = Build("C[i] = sqrt(A[i] * B[i] - A[i] * B[i])", "i=8");
        var reference = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, seed: 1));

        Assert.All(reference.ErrorBounds, bound => Assert.Equal(double.PositiveInfinity, bound));
    }

    [Theory]
    [InlineData("f32")]
    [InlineData("f16")]
    [InlineData("bf16")]
    public void An_element_that_cannot_be_checked_stays_unchecked_in_a_16_bit_output(string dtype)
    {
        // A maximum over a quotient whose divisor rounding may make zero: unknown, which the double evaluation
        // carries as NaN, and a 16-bit output's store took that for an exact NaN and required it of the kernel,
        // failing correct ones (found by fuzzing, on max(sqrt(abs(x - x)), 1) in f16, where kernels gave 1).
        var op = Build("C[i] = max(A[i] / (B[i] * D[i] - B[i] * D[i]), 1)", "i=8", dtype: dtype);
        var reference = ReferenceEvaluator.Evaluate(op, InputGenerator.Generate(op, seed: 1));

        Assert.All(reference.ErrorBounds, bound => Assert.Equal(double.PositiveInfinity, bound));
    }

    [Fact]
    public void MissingInputIsAnArgumentError()
    {
        var op = Build("C[i] = A[i]", "i=2");

        Assert.Throws<ArgumentException>(() => ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]>()));
    }
}
