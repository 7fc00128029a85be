using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Gensor.Tests.FrontEnd;
using Xunit;

namespace Gensor.Tests.Etir;

/// <summary>How specs give tensors their element types, and what follows from them.</summary>
public sealed class TensorTypeTests
{
    private const string Gemm = "C[m,n] += A[m,k] * B[k,n]";

    private static Operator Build(string dtype = "f32", Dictionary<string, string>? dtypes = null, string shape = "m=4,n=4,k=8") =>
        OperatorBuilder.Build(SpecReader.FromInline(Gemm, shape, "gemm", null) with { Dtype = dtype, Dtypes = dtypes });

    [Fact]
    public void Dtype_applies_to_every_tensor()
    {
        var op = Build("f16");

        Assert.Equal(ElementType.F16, op.Output.Type);
        Assert.All(op.Inputs, tensor => Assert.Equal(ElementType.F16, tensor.Type));
    }

    [Fact]
    public void Dtypes_override_single_tensors()
    {
        var op = Build("bf16", new() { ["C"] = "f32" });

        Assert.Equal(ElementType.F32, op.Output.Type);
        Assert.Equal(ElementType.BF16, op.InputNamed("A").Type);
    }

    [Fact]
    public void Without_a_dtype_every_tensor_is_float32() => Assert.True(Build().AllFloat32);

    [Fact]
    public void Accumulation_is_float32_whatever_the_tensors() => Assert.Equal(ElementType.F32, Build("f16").AccumulatorType);

    [Fact]
    public void Dtypes_for_an_unknown_tensor_are_rejected() =>
        Assert.Equal("--compute: dtypes gives a type for 'D' but the expression has no such tensor (tensors: C, A, B)",
            BadInput.Thrown(() => Build("f16", new() { ["D"] = "f32" })));

    [Fact]
    public void Dtypes_with_an_unknown_type_are_rejected() =>
        Assert.Contains("dtypes: unknown type 'fp8' for 'A'", BadInput.Thrown(() => Build("f16", new() { ["A"] = "fp8" })));

    [Fact]
    public void Spec_files_give_dtype_and_dtypes()
    {
        var spec = Assert.Single(SpecReader.Read("""{ "name": "g", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": { "m": 2, "n": 2, "k": 2 }, "dtype": "f16", "dtypes": { "C": "f32" } }""", "s.json"));

        var op = OperatorBuilder.Build(spec);

        Assert.Equal(ElementType.F32, op.Output.Type);
        Assert.Equal(ElementType.F16, op.InputNamed("B").Type);
    }

    [Fact]
    public void Dtypes_must_be_an_object_of_strings() =>
        Assert.Equal("s.json: operator 1: dtypes 'C' must be a string but is the number 32",
            BadInput.Thrown(() => SpecReader.Read("""{ "name": "g", "compute": "C[i] = A[i]", "shape": { "i": 2 }, "dtypes": { "C": 32 } }""", "s.json")));

    [Fact]
    public void Float32_operators_keep_their_canonical_text() =>
        Assert.DoesNotContain("types", CanonicalForm.Of(Build()).Text);

    [Fact]
    public void Types_are_part_of_the_canonical_form()
    {
        var half = CanonicalForm.Of(Build("f16"));

        Assert.EndsWith("; types T0=f16,T1=f16,T2=f16", half.Text);
        Assert.NotEqual(CanonicalForm.Of(Build()).Hash, half.Hash);
        Assert.NotEqual(CanonicalForm.Of(Build("bf16")).Hash, half.Hash);
    }

    [Fact]
    public void The_spec_writer_keeps_the_types()
    {
        var op = Build("bf16", new() { ["C"] = "f32" });

        var again = OperatorBuilder.Build(Assert.Single(SpecReader.Read(OperatorSpecWriter.ToJson(OperatorSpecWriter.ToSpec(op)), "again")));

        Assert.Equal(op, again with { Name = op.Name });
    }

    [Fact]
    public void Generated_inputs_are_values_of_their_type()
    {
        var op = Build("bf16");

        var inputs = InputGenerator.Generate(op, 3);

        Assert.All(inputs["A"], value => Assert.Equal(ElementType.BF16.Round(value), value));
        Assert.Contains(inputs["A"], value => value != 0);
    }

    [Fact]
    public void The_reference_rounds_inputs_to_their_type()
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline("C[i] = A[i] * 3", "i=1", "x", null) with { Dtype = "f16" });

        // 1 + 2^-12 is below half an f16 step above 1, so the f16 tensor holds 1.
        var result = ReferenceEvaluator.Evaluate(op, new Dictionary<string, float[]> { ["A"] = [1f + MathF.Pow(2, -12)] });

        Assert.Equal(3.0, result.Values[0]);
    }
}
