using Gensor.FrontEnd;
using Gensor.Onnx.Graph;
using Gensor.Onnx.Import;
using Gensor.Reference;

namespace Gensor.Onnx.Reference;

/// <summary>
/// Runs an imported model through Gensor's reference evaluator: every operator
/// on its bound values, the layout steps moving data between them. It is how
/// the import is checked against another runtime (ONNX Runtime in the tests):
/// what it computes is what the suite's operators mean, joined as the model joins them.
/// </summary>
public static class ReferenceRun
{
    /// <summary>The model's outputs for the given data inputs (row-major float32, keyed by input name).</summary>
    /// <exception cref="InvalidOperationException">The model has unsupported nodes, or an input is missing.</exception>
    public static IReadOnlyDictionary<string, float[]> Evaluate(ImportedModel model, IReadOnlyDictionary<string, float[]> feeds)
    {
        if (model.Unsupported.FirstOrDefault() is { } unsupported)
        {
            throw new InvalidOperationException($"node '{unsupported.Name}' ({unsupported.OpType}) is not supported: {unsupported.Reason}");
        }
        var data = new Dictionary<string, float[]>(feeds);
        bool Available(string name) => data.ContainsKey(name) || model.Values.GetValueOrDefault(name)?.Constant is not null;
        float[] Get(string name)
        {
            if (!data.TryGetValue(name, out var values))
            {
                var constant = model.Values[name].Constant ?? throw new InvalidOperationException($"no data for '{name}'");
                data[name] = values = constant.Values.Select(v => (float)v).ToArray();
            }
            return values;
        }

        // Operators read values produced by operators later in model order when an element-wise node folded in, so run whatever is ready.
        var kernels = model.Kernels.ToList();
        var steps = model.LayoutSteps.ToList();
        while (kernels.Count > 0 || steps.Count > 0)
        {
            var ran = false;
            foreach (var kernel in kernels.Where(k => k.Inputs.All(input => Available(input.Value))).ToArray())
            {
                var op = OperatorBuilder.Build(kernel.Spec);
                var inputs = op.Inputs.ToDictionary(tensor => tensor.Name, tensor => Get(kernel.Inputs.First(input => input.Tensor == tensor.Name).Value));
                data[kernel.Output] = ReferenceEvaluator.Evaluate(op, inputs).Values.Select(v => (float)v).ToArray();
                kernels.Remove(kernel);
                ran = true;
            }
            foreach (var step in steps.Where(s => s.Inputs.All(Available)).ToArray())
            {
                var parts = step.Inputs.Select(name => ((IReadOnlyList<long>)model.Values[name].Shape, Get(name))).ToArray();
                data[step.Outputs[0]] = LayoutOps.Apply(step, parts);
                if (step.OpType == "Dropout" && step.Outputs.Count > 1 && step.Outputs[1].Length > 0)
                {
                    data[step.Outputs[1]] = Enumerable.Repeat(1f, parts[0].Item2.Length).ToArray();
                }
                steps.Remove(step);
                ran = true;
            }
            if (!ran)
            {
                var waiting = kernels.SelectMany(k => k.Inputs.Select(i => i.Value)).Concat(steps.SelectMany(s => s.Inputs)).First(name => !Available(name));
                throw new InvalidOperationException($"no data for '{waiting}' (a model input not fed?)");
            }
        }
        return model.Outputs.ToDictionary(name => name, Get);
    }
}
