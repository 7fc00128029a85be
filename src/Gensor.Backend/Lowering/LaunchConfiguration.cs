namespace Gensor.Backend.Lowering;

/// <summary>
/// How a generated kernel is launched: a one-dimensional grid of blocks, each
/// of <see cref="GroupSize"/> threads, with <see cref="SharedMemoryBytes"/> of
/// statically allocated shared memory. Arguments are the output tensor, then
/// the inputs, each a dense row-major float32 buffer of the given shape.
/// </summary>
public sealed record LaunchConfiguration(
    int GridSize,
    int GroupSize,
    long SharedMemoryBytes,
    IReadOnlyList<KernelArgument> Arguments);

/// <summary>One kernel argument: the tensor it holds, its parameter name and shape.</summary>
public sealed record KernelArgument(string Tensor, string Parameter, IReadOnlyList<int> Shape, bool IsOutput);
