namespace Gensor.Backend.Lowering;

/// <summary>
/// How a generated kernel is launched: a one-dimensional grid of blocks, each
/// of <see cref="GroupSize"/> threads, with <see cref="SharedMemoryBytes"/> of
/// statically allocated shared memory. Arguments are the output tensor, then
/// the inputs, each a dense row-major buffer of the given shape and element type.
/// </summary>
public sealed record LaunchConfiguration(
    int GridSize,
    int GroupSize,
    long SharedMemoryBytes,
    IReadOnlyList<KernelArgument> Arguments);

/// <summary>One kernel argument: the tensor it holds, its parameter name and shape.</summary>
public sealed record KernelArgument(string Tensor, string Parameter, IReadOnlyList<int> Shape, bool IsOutput)
{
    /// <summary>The element type of the buffer (float32; ILGPU <c>Half</c> for f16; <c>ushort</c> bits for bf16).</summary>
    public Etir.ElementType Type { get; init; } = Etir.ElementType.F32;
}
