using CsCheck;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;

namespace Gensor.Tests.Reference;

/// <summary>
/// The ceiling on the verifier's tolerance (issue 13): no inputs the verifier can
/// make give a larger tolerance than the operator's ceiling, and the ceiling is
/// reached, so a record claiming more than it was not verified by gensor.
/// </summary>
public sealed class ToleranceCeilingTests
{
    private static Operator Build(string compute, string shape, string dtype = "f32", string? epilogue = null, Dictionary<string, string>? dtypes = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue) with { Dtype = dtype, Dtypes = dtypes });

    private static double StatedTolerance(Operator op, IReadOnlyDictionary<string, float[]> inputs, bool tf32)
    {
        var reference = ReferenceEvaluator.Evaluate(op, inputs, Tolerance.Of(op, tf32));
        // A kernel that returns the reference itself: the tolerance stated does not depend on the kernel's values.
        return Verifier.Compare(reference, reference.Values.Select(v => (float)v).ToArray()).Tolerance;
    }

    private static Dictionary<string, float[]> Filled(Operator op, float value) =>
        op.Inputs.ToDictionary(t => t.Name, t => Enumerable.Repeat(value, (int)t.ElementCount).ToArray());

    private static readonly Gen<string> Read = Gen.OneOf("A[m,k]", "B[k]", "D[m]", "A[m,k+1]", "D[m*2]");

    private static readonly Gen<string> Constant = Gen.OneOf("0", "1", "2.5", "0.001", "1e30", "1e-30", "3e38", "7", "65504", "1e5");

    private static readonly Gen<string> Expression = Gen.Recursive<string>((depth, self) => depth >= 4
        ? Gen.Frequency((3, Read), (1, Constant))
        : Gen.Frequency(
            (3, Read),
            (1, Constant),
            (3, Gen.Select(self, Gen.OneOf("+", "-", "*", "/"), self, (l, op, r) => $"({l} {op} {r})")),
            (2, Gen.Select(Gen.OneOf("relu", "exp", "tanh", "sigmoid", "sqrt", "abs", "-"), self, (f, x) => f == "-" ? $"-{x}" : $"{f}({x})")),
            (1, Gen.Select(Gen.OneOf("max", "min"), self, self, (f, a, b) => $"{f}({a}, {b})"))));

    /// <summary>Epilogues of the accumulated value C[m] (and inputs), or none.</summary>
    private static readonly Gen<string?> Epilogue = Gen.Frequency(
        (2, Gen.Const((string?)null)),
        (1, Gen.OneOf<string?>("relu(C[m])", "C[m] * 0.5 + D[m]", "tanh(C[m]) / (C[m] + 2)", "exp(C[m])", "sqrt(abs(C[m]))", "C[m] / 3")));

    /// <summary>Inputs anywhere in [-1, 1], with its ends, zero and tiny values more often than chance.</summary>
    private static readonly Gen<float> Value = Gen.Frequency(
        (4, Gen.Float[-1f, 1f]),
        (1, Gen.OneOf(-1f, 1f, 0f, 1e-30f, -1e-30f, 0.5f)));

    [Fact]
    public void No_inputs_in_the_verifiers_range_make_it_state_more_than_the_ceiling()
    {
        Gen.Select(Expression, Gen.OneOf("=", "+=", "max="), Epilogue, Gen.OneOf("f32", "f16", "bf16", "f16>f32"), Gen.Bool, Gen.Int[1, 9], Value.Array[64],
                (body, assign, epilogue, types, tf32, k, values) => (body, assign, epilogue, types, tf32, k, values))
            .Sample((body, assign, epilogue, types, tf32, k, values) =>
            {
                Operator op;
                try
                {
                    var dtype = types.Split('>')[0];
                    var output = types.Contains('>') ? new Dictionary<string, string> { ["C"] = "f32" } : null;
                    op = Build($"C[m] {assign} {body}", $"m=3,k={(assign == "=" ? 1 : k)}", dtype, epilogue, output);
                }
                catch (GensorException)
                {
                    return true; // not an operator (an epilogue without a reduction, a read of nothing): nothing to verify
                }
                tf32 &= op.AllFloat32;
                var inputs = op.Inputs.ToDictionary(t => t.Name, t => Enumerable.Range(0, (int)t.ElementCount).Select(i => values[i % values.Length]).ToArray());
                var stated = StatedTolerance(op, inputs, tf32);
                var ceiling = ToleranceCeiling.Of(op, Tolerance.Of(op, tf32));
                return stated <= ceiling * (1 + 1e-9);
            }, iter: 2000, threads: 1);
    }

    [Theory]
    [InlineData("f32", false)]
    [InlineData("f32", true)]
    [InlineData("f16", false)]
    [InlineData("bf16", false)]
    public void Inputs_of_one_reach_the_ceiling_of_a_matrix_product(string dtype, bool tf32)
    {
        var op = Build("C[m,n] += A[m,k] * B[k,n]", "m=2,n=2,k=64", dtype);

        // Ones everywhere but one element a unit below: integers alone would sum exactly, with no error
        // to allow (the run on integer inputs), and its tolerance is not a record's.
        var inputs = Filled(op, 1f);
        inputs["A"][0] = op.Inputs[0].Type.Round((float)(1 - (2 * op.Inputs[0].Type.UnitRoundoff())));
        var stated = StatedTolerance(op, inputs, tf32);
        var ceiling = ToleranceCeiling.Of(op, Tolerance.Of(op, tf32));

        Assert.Equal(ceiling, stated, 1e-2 * ceiling);
        Assert.True(stated <= ceiling);
    }

    [Fact]
    public void The_ceiling_grows_with_the_reduction_length_and_the_terms()
    {
        double Of(string compute, string shape) { var op = Build(compute, shape); return ToleranceCeiling.Of(op, Tolerance.Of(op)); }

        Assert.True(Of("C[m] += A[m,k]", "m=1,k=4096") > Of("C[m] += A[m,k]", "m=1,k=64"));
        Assert.True(Of("C[m] = A[m] + A[m] + A[m] + A[m]", "m=1") > Of("C[m] = A[m] + A[m]", "m=1"));
    }

    [Fact]
    public void A_division_by_an_input_is_bounded_only_by_the_formats_range()
    {
        var op = Build("C[m] = A[m] / B[m]", "m=4");

        // B may be as small as the generator makes it: only float32's overflow threshold bounds the quotient.
        Assert.True(ToleranceCeiling.Of(op, Tolerance.Of(op)) > 1e38);
    }

    [Fact]
    public void A_division_by_a_constant_is_bounded_by_the_constant()
    {
        var op = Build("C[m] = A[m] / 4", "m=4");

        Assert.True(ToleranceCeiling.Of(op, Tolerance.Of(op)) < 1e-6);
    }
}
