using Gensor.FrontEnd;
using Gensor.Onnx.Mapping;

namespace Gensor.Onnx.Import;

/// <summary>
/// One Gensor operator of an imported model, before equal ones are merged:
/// its spec (with <c>onnx_op</c> and <c>nodes</c>), the graph value each input
/// tensor reads, and the graph value its output is.
/// </summary>
/// <param name="Spec">The operator, as a suite entry with count 1.</param>
/// <param name="Inputs">Each input tensor and the value it reads, as a reshaped view.</param>
/// <param name="Output">The graph value the operator writes.</param>
/// <param name="IterationPoints">The product of all extents: multiply-adds for a convolution or product.</param>
public sealed record ImportedKernel(OperatorSpec Spec, IReadOnlyList<KernelBinding> Inputs, string Output, long IterationPoints);
