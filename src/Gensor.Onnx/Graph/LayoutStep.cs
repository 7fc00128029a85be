namespace Gensor.Onnx.Graph;

/// <summary>
/// A node that moves no arithmetic (reshape, transpose, concatenation, ...):
/// it makes no kernel, but a run of the imported model (the reference check)
/// still has to move the data as it says.
/// </summary>
/// <param name="Node">The node's name.</param>
/// <param name="OpType">Its ONNX type.</param>
/// <param name="Inputs">The data inputs it reads (shape inputs left out).</param>
/// <param name="Outputs">What it writes; empty names for omitted outputs.</param>
/// <param name="Permutation">For <c>Transpose</c>, the permutation.</param>
/// <param name="Axis">For <c>Concat</c>, the (non-negative) axis.</param>
public sealed record LayoutStep(string Node, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<long>? Permutation, int Axis);
