using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Onnx.Graph;

namespace Gensor.Onnx.Import;

/// <summary>
/// An ONNX model as Gensor operators: the operators in model order, what
/// became of every node, the layout steps and constants a reference run needs,
/// and the suite (equal operators merged, with counts).
/// </summary>
/// <param name="Source">The model file.</param>
/// <param name="Opset">The default domain's opset version.</param>
/// <param name="Inputs">The data inputs with their fixed shapes.</param>
/// <param name="Outputs">The graph's output values.</param>
/// <param name="Kernels">The operators, in model order.</param>
/// <param name="Nodes">Every node and its role.</param>
/// <param name="LayoutSteps">The layout nodes, in model order.</param>
/// <param name="Values">Every value the import knows: shapes, and the constants (initializers, folded subgraphs, importer-made).</param>
/// <param name="Warnings">Where the imported operators may differ from ONNX's meaning.</param>
public sealed record ImportedModel(
    string Source,
    int Opset,
    IReadOnlyList<ModelInput> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<ImportedKernel> Kernels,
    IReadOnlyList<NodeAccount> Nodes,
    IReadOnlyList<LayoutStep> LayoutSteps,
    IReadOnlyDictionary<string, TensorValue> Values,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// The suite: operators of one ONNX type that are equal up to names (the
    /// canonical form records are keyed by) merged into one entry with a count,
    /// in order of first occurrence.
    /// </summary>
    public IReadOnlyList<SuiteEntry> Entries { get; } = Merge(Kernels);

    public IReadOnlyList<OperatorSpec> Suite => Entries.Select(entry => entry.Spec).ToArray();

    public IEnumerable<NodeAccount> Unsupported => Nodes.Where(node => node.Role == NodeRole.Unsupported);

    private static SuiteEntry[] Merge(IReadOnlyList<ImportedKernel> kernels) =>
        kernels.GroupBy(kernel => (kernel.Spec.OnnxOp, CanonicalForm.Of(OperatorBuilder.Build(kernel.Spec)).Hash))
            .Select(group =>
            {
                var first = group.First();
                var spec = first.Spec with { Count = group.Count(), Nodes = group.SelectMany(kernel => kernel.Spec.Nodes!).Distinct().ToArray() };
                return new SuiteEntry(spec, group.ToArray(), first.IterationPoints);
            })
            .ToArray();
}
