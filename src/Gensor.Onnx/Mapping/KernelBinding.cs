using Gensor.Etir;

namespace Gensor.Onnx.Mapping;

/// <summary>An input tensor of an imported operator and the graph value it reads, in the shape the operator sees it.</summary>
/// <param name="Tensor">The tensor's name in the operator's expression.</param>
/// <param name="Value">The graph value (or importer constant) it is bound to.</param>
/// <param name="View">The shape the operator reads; the same row-major data as the value, reshaped.</param>
public sealed record KernelBinding(string Tensor, string Value, ValueArray<long> View);
