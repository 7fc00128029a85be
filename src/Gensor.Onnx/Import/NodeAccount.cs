namespace Gensor.Onnx.Import;

/// <summary>One node of the model and what became of it.</summary>
/// <param name="Index">Its position in the graph, from 0.</param>
/// <param name="Name">Its name, or <c>OpType_Index</c> when the model leaves it empty.</param>
/// <param name="OpType">Its ONNX operator type.</param>
/// <param name="Role">What became of it.</param>
/// <param name="Kernels">The operators that compute it (for <see cref="NodeRole.Kernel"/> and <see cref="NodeRole.Fused"/>).</param>
/// <param name="Reason">Why it is unsupported, or null.</param>
public sealed record NodeAccount(int Index, string Name, string OpType, NodeRole Role, IReadOnlyList<string> Kernels, string? Reason);
