using Gensor.Onnx.Import;
using Gensor.Onnx.Reference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gensor.Tests.Onnx;

/// <summary>
/// Checks an import against ONNX Runtime: the same model and inputs, ORT's
/// outputs against the reference evaluation of the imported operators.
/// </summary>
public static class OnnxRuntimeOracle
{
    /// <summary>Imports <paramref name="model"/>, runs both on random inputs, and asserts every output agrees.</summary>
    public static ImportedModel AssertMatches(OnnxModelBuilder model, double tolerance = 1e-4, int seed = 1, Func<int, float>? input = null)
    {
        var imported = OnnxImporter.Import(model.Model, ImportOptions.Default, "test.onnx");
        var random = new Random(seed);
        var feeds = imported.Inputs.ToDictionary(
            i => i.Name,
            i => Enumerable.Range(0, (int)i.Shape.Aggregate(1L, (p, e) => p * e)).Select(k => input?.Invoke(k) ?? (float)((random.NextDouble() * 2) - 1)).ToArray());

        using var session = new InferenceSession(model.Bytes());
        var ortInputs = imported.Inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(feeds[i.Name], i.Shape.Select(e => (int)e).ToArray()))).ToList();
        using var results = session.Run(ortInputs);
        var expected = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());

        var actual = ReferenceRun.Evaluate(imported, feeds);
        foreach (var (name, want) in expected)
        {
            var got = actual[name];
            Assert.Equal(want.Length, got.Length);
            for (var k = 0; k < want.Length; k++)
            {
                var allowed = tolerance * Math.Max(1.0, Math.Abs(want[k]));
                Assert.True(Math.Abs(want[k] - got[k]) <= allowed, $"output '{name}' element {k}: ONNX Runtime {want[k]}, Gensor reference {got[k]}");
            }
        }
        return imported;
    }
}
