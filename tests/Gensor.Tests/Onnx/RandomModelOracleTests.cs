using Gensor.Onnx.Import;

namespace Gensor.Tests.Onnx;

/// <summary>
/// Random small models against ONNX Runtime: whatever the importer accepts computes what ONNX Runtime computes, and
/// what it does not accept is unsupported with a reason. A fuzzing round with a larger generator (31,440 models, then
/// 91,440 on the fixed code) found SAME padding, pooling and folding cases that imported with other numbers; these
/// draws keep the same promise checked on every run, over the attributes where those hid.
/// </summary>
public class RandomModelOracleTests
{
    private const int ModelsPerFamily = 200;

    private static readonly string[] FamilyNames = ["conv", "pool", "gemm", "matmul", "chain"];

    public static TheoryData<string> Families => new(FamilyNames);

    [Theory]
    [MemberData(nameof(Families))]
    public void Every_imported_random_model_matches_onnx_runtime_or_names_why_it_is_unsupported(string family)
    {
        var compared = 0;
        for (var seed = 0; seed < ModelsPerFamily; seed++)
        {
            // A fixed seed per family and draw (HashCode is randomised per process): the same models every run.
            var random = new Random((Array.IndexOf(FamilyNames, family) * 10_000) + seed);
            var model = family switch
            {
                "conv" => Conv(random),
                "pool" => Pool(random),
                "gemm" => Gemm(random),
                "matmul" => MatMul(random),
                _ => Chain(random),
            };
            var imported = OnnxImporter.Import(model.Model, ImportOptions.Default, "random.onnx");
            if (imported.Unsupported.FirstOrDefault() is { } node)
            {
                Assert.False(string.IsNullOrWhiteSpace(node.Reason), $"{family} seed {seed}: node '{node.Name}' unsupported without a reason");
                continue;
            }
            // A failure names the family and seed: rerun that draw alone to see the model.
            try
            {
                OnnxRuntimeOracle.AssertMatches(model, tolerance: 1e-4, seed: seed);
            }
            catch (Exception exception)
            {
                throw new Xunit.Sdk.XunitException($"{family} seed {seed}: {exception.Message}");
            }
            compared++;
        }
        // Most draws must be compared, or the property says little.
        Assert.True(compared >= ModelsPerFamily / 2, $"{family}: only {compared} of {ModelsPerFamily} models imported whole");
    }

    private static long Pick(Random random, params long[] values) => values[random.Next(values.Length)];

    /// <summary>A 2-D convolution: groups (depthwise too), any kernel, stride, dilation, asymmetric or automatic padding, with or without a bias.</summary>
    private static OnnxModelBuilder Conv(Random random)
    {
        var groups = Pick(random, 1, 1, 2, 3);
        var channels = groups * Pick(random, 1, 2);
        var filters = groups * Pick(random, 1, 2);
        long[] kernel = [Pick(random, 1, 2, 3), Pick(random, 1, 2, 3)];
        long[] strides = [Pick(random, 1, 2, 3, 4), Pick(random, 1, 2, 5)];
        var autoPad = random.Next(4) switch { 0 => "SAME_UPPER", 1 => "SAME_LOWER", 2 => "VALID", _ => "NOTSET" };
        long[] dilations = autoPad.StartsWith("SAME", StringComparison.Ordinal) ? [1, 1] : [Pick(random, 1, 2), Pick(random, 1, 2)];
        long[] pads = [random.Next(3), random.Next(3), random.Next(3), random.Next(3)];
        long[] input = [Pick(random, 5, 6, 8, 9, 11), Pick(random, 4, 5, 8, 12)];
        var model = new OnnxModelBuilder().Input("x", 1, channels, input[0], input[1]).Weight("w", [filters, channels / groups, kernel[0], kernel[1]]);
        var inputs = random.Next(2) == 0 ? new[] { "x", "w" } : ["x", "w", "b"];
        if (inputs.Length == 3)
        {
            model.Weight("b", [filters]);
        }
        var attributes = new List<(string, object)> { ("strides", strides), ("dilations", dilations), ("group", groups) };
        attributes.Add(autoPad == "NOTSET" ? ("pads", pads) : ("auto_pad", autoPad));
        return model.Node("Conv", inputs, ["y"], [.. attributes]).Output("y");
    }

    /// <summary>
    /// Max (after a ReLU, where reading 0 outside is exact) or average pooling: pads below the window, ceil_mode,
    /// count_include_pad, dilations (average pooling from opset 19), automatic padding with a stride within the window.
    /// </summary>
    private static OnnxModelBuilder Pool(Random random)
    {
        var max = random.Next(2) == 0;
        long[] kernel = [Pick(random, 1, 2, 3), Pick(random, 2, 3)];
        var autoPad = random.Next(4) switch { 0 => "SAME_UPPER", 1 => "SAME_LOWER", 2 => "VALID", _ => "NOTSET" };
        var same = autoPad.StartsWith("SAME", StringComparison.Ordinal);
        long[] strides = same ? [random.Next(1, (int)kernel[0] + 1), random.Next(1, (int)kernel[1] + 1)] : [Pick(random, 1, 2, 3), Pick(random, 1, 2)];
        long[] dilations = same ? [1, 1] : [Pick(random, 1, 2), Pick(random, 1, 2)];
        long[] pads = [random.Next((int)kernel[0]), random.Next((int)kernel[1]), random.Next((int)kernel[0]), random.Next((int)kernel[1])];
        long[] input = [Pick(random, 1, 2, 5, 7), Pick(random, 1, 2, 4, 8)];
        if (random.Next(4) == 0)
        {
            // A dilated window over an extent of 1, padded on both sides: its one position reads only padding.
            (kernel[1], dilations[1], pads[1], pads[3], input[1], autoPad) = (2, 2, 1, 1, 1, "NOTSET");
        }
        var model = new OnnxModelBuilder(opset: 19).Input("x", 1, 2, input[0], input[1]).Node("Relu", ["x"], ["r"]);
        var attributes = new List<(string, object)> { ("kernel_shape", kernel), ("strides", strides), ("dilations", dilations), ("ceil_mode", (long)random.Next(2)) };
        attributes.Add(autoPad == "NOTSET" ? ("pads", pads) : ("auto_pad", autoPad));
        if (!max)
        {
            attributes.Add(("count_include_pad", (long)random.Next(2)));
        }
        return model.Node(max ? "MaxPool" : "AveragePool", ["r"], ["y"], [.. attributes]).Output("y");
    }

    /// <summary>Gemm with either operand transposed, any alpha and beta, and C absent, a scalar, a row, a column or whole.</summary>
    private static OnnxModelBuilder Gemm(Random random)
    {
        long m = Pick(random, 1, 3, 5), k = Pick(random, 1, 4, 7), n = Pick(random, 1, 2, 6);
        var (transA, transB) = (random.Next(2), random.Next(2));
        var model = new OnnxModelBuilder().Input("a", transA == 1 ? k : m, transA == 1 ? m : k).Weight("b", transB == 1 ? [n, k] : [k, n]);
        var attributes = new List<(string, object)> { ("transA", (long)transA), ("transB", (long)transB), ("alpha", (float)Pick(random, 1, 2, -3) / 2), ("beta", (float)Pick(random, 1, 0, 3) / 2) };
        long[]? c = random.Next(5) switch { 0 => null, 1 => [], 2 => [n], 3 => [m, 1], _ => [m, n] };
        if (c is null)
        {
            return model.Node("Gemm", ["a", "b"], ["y"], [.. attributes]).Output("y");
        }
        return model.Weight("c", c).Node("Gemm", ["a", "b", "c"], ["y"], [.. attributes]).Output("y");
    }

    /// <summary>MatMul of operands of rank 1 to 4 whose batch dimensions broadcast (1 against any).</summary>
    private static OnnxModelBuilder MatMul(Random random)
    {
        long m = Pick(random, 2, 3), k = Pick(random, 1, 4), n = Pick(random, 2, 5);
        var batch = Enumerable.Range(0, random.Next(3)).Select(_ => Pick(random, 2, 3)).ToArray();
        long[] Batch() => batch.Skip(random.Next(batch.Length + 1)).Select(extent => random.Next(3) == 0 ? 1 : extent).ToArray();
        long[] a = random.Next(5) == 0 ? [k] : [.. Batch(), m, k];
        long[] b = random.Next(5) == 0 && a.Length > 1 ? [k] : [.. Batch(), k, n];
        return new OnnxModelBuilder().Input("a", [.. a.Cast<object?>()]).Weight("b", b).Node("MatMul", ["a", "b"], ["y"]).Output("y");
    }

    /// <summary>
    /// A product or convolution and a chain of element-wise nodes after it, some reading a broadcast constant and some
    /// reading the chain twice: what folds into an epilogue and what becomes an operator of its own.
    /// </summary>
    private static OnnxModelBuilder Chain(Random random)
    {
        var conv = random.Next(2) == 0;
        var model = conv
            ? new OnnxModelBuilder().Input("x", 1, 2, 5, 5).Weight("w", [3, 2, 3, 3]).Node("Conv", ["x", "w"], ["v0"], ("pads", new long[] { 1, 1, 1, 1 }))
            : new OnnxModelBuilder().Input("x", 3, 4).Weight("w", [4, 5]).Node("MatMul", ["x", "w"], ["v0"]);
        long[][] broadcasts = conv ? [[3, 1, 1], [1, 3, 5, 5], [5], []] : [[5], [3, 1], [3, 5], []];
        var length = random.Next(1, 7);
        for (var i = 0; i < length; i++)
        {
            var (from, to) = ($"v{i}", $"v{i + 1}");
            switch (random.Next(9))
            {
                case 0: model.Node("Relu", [from], [to]); break;
                case 1: model.Node("Sigmoid", [from], [to]); break;
                case 2: model.Node("Tanh", [from], [to]); break;
                case 3: model.Node("LeakyRelu", [from], [to], ("alpha", 0.25f)); break;
                case 4: model.Node("Abs", [from], [to]); break;
                case 5: model.Node("Mul", [from, from], [to]); break;
                case 6: model.Weight($"lo{i}", [], [-0.5f]).Weight($"hi{i}", [], [0.75f]).Node("Clip", [from, $"lo{i}", $"hi{i}"], [to]); break;
                default:
                    var constant = $"c{i}";
                    var op = random.Next(3) switch { 0 => "Add", 1 => "Sub", _ => "Mul" };
                    model.Weight(constant, broadcasts[random.Next(broadcasts.Length)]).Node(op, random.Next(2) == 0 ? [from, constant] : [constant, from], [to]);
                    break;
            }
        }
        return model.Output($"v{length}");
    }
}
