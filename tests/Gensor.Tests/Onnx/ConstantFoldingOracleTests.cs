using Gensor.Onnx.Import;

namespace Gensor.Tests.Onnx;

/// <summary>Constants folded at import hold what ONNX Runtime computes: each result rounded or wrapped to its element type.</summary>
public class ConstantFoldingOracleTests
{
    private static OnnxModelBuilder AddedToInput(long count, Action<OnnxModelBuilder> constant)
    {
        var model = new OnnxModelBuilder().Input("x", count);
        constant(model);
        return model.Node("Add", ["x", "k"], ["y"]).Output("y");
    }

    [Theory]
    [InlineData(10L)]
    [InlineData(16L)]
    public void A_cast_to_a_16_bit_float_rounds(long type)
    {
        // 0.1, 3.02 and 9.12 are not float16 or bfloat16 values; the folder kept them whole (found by fuzzing).
        var model = AddedToInput(3, m => m.Weight("c", [3], [0.1f, 3.02f, 9.12f])
            .Node("Cast", ["c"], ["h"], ("to", type)).Node("Cast", ["h"], ["k"], ("to", 1L)));

        OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-6);
    }

    [Fact]
    public void Float32_arithmetic_rounds_before_a_cast_to_an_integer()
    {
        // -5.6f * 1.25f is -7 in float32 and -6.999... in double, so the cast to int64 gave -6, not -7.
        var model = AddedToInput(2, m => m.Weight("c", [2], [-5.6f, 9f]).Weight("f", [2], [1.25f, 1f / 0.05f])
            .Node("Mul", ["c", "f"], ["p"]).Node("Cast", ["p"], ["i"], ("to", 7L)).Node("Cast", ["i"], ["k"], ("to", 1L)));

        OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-6);
    }

    [Fact]
    public void A_cast_to_a_narrower_integer_wraps()
    {
        var model = AddedToInput(3, m => m.Ints("c", -9, 300, 70000)
            .Node("Cast", ["c"], ["b"], ("to", 2L)).Node("Cast", ["c"], ["s"], ("to", 5L))
            .Node("Cast", ["b"], ["bf"], ("to", 1L)).Node("Cast", ["s"], ["sf"], ("to", 1L)).Node("Add", ["bf", "sf"], ["k"]));

        OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-6);
    }

    [Fact]
    public void A_range_of_billions_of_elements_is_unsupported_not_allocated()
    {
        // A model of a few hundred bytes made the import allocate 16 GB (found by fuzzing).
        var model = AddedToInput(4, m => m.Weight("s", [], [0f]).Weight("l", [], [2e9f]).Weight("d", [], [1f]).Node("Range", ["s", "l", "d"], ["k"]));

        var imported = OnnxImporter.Import(model.Model, ImportOptions.Default, "test.onnx");

        Assert.Contains(imported.Unsupported, node => node.OpType == "Range" && node.Reason == "a Range of 2000000000 elements (at most 16777216 are computed at import)");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_constant_of_shape_whose_value_is_not_one_element_is_unsupported(int elements)
    {
        // .Single() on it failed the import with an internal error, exit 1 (found by fuzzing).
        var model = AddedToInput(2, m => m.Ints("shape", 2)
            .Node("ConstantOfShape", ["shape"], ["k"], ("value", OnnxModelBuilder.FloatTensor("v", [elements], [.. Enumerable.Repeat(1f, elements)]))));

        var imported = OnnxImporter.Import(model.Model, ImportOptions.Default, "test.onnx");

        Assert.Contains(imported.Unsupported, node => node.OpType == "ConstantOfShape" && node.Reason == $"a value of {elements} elements (ONNX asks for one)");
    }

    [Fact]
    public void A_float_range_adds_its_delta_in_float32_one_step_at_a_time()
    {
        // As ONNX Runtime does: the 34th value of Range(0.1, 10.2, 0.3) is 10.000003, not 0.1 + 33 * 0.3.
        var model = AddedToInput(34, m => m.Weight("s", [], [0.1f]).Weight("l", [], [10.2f]).Weight("d", [], [0.3f]).Node("Range", ["s", "l", "d"], ["k"]));

        OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-7, input: _ => 0f);
    }
}
