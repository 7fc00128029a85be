using Gensor.Etir;

namespace Gensor.Backend.Launch;

/// <summary>
/// One kernel argument: a dense row-major tensor passed as a one-dimensional
/// buffer of <see cref="ElementCount"/> elements.
/// </summary>
/// <param name="Name">The tensor's name in the operator.</param>
/// <param name="Parameter">
/// The C# parameter as the kernel and its launcher declare it (<c>t_A</c>, or
/// <c>g_arg0</c> when the name is not a C# identifier), and what launch.json
/// calls it; see <see cref="Lowering.KernelNames.Parameter"/>.
/// </param>
/// <param name="Shape">The tensor's extents, outermost first.</param>
/// <param name="ElementType">The element type: <c>f32</c> (the only one so far).</param>
/// <param name="Role">Output or input.</param>
public sealed record LaunchTensor(string Name, string Parameter, ValueArray<int> Shape, string ElementType, TensorRole Role)
{
    public long ElementCount => Shape.Aggregate(1L, (product, extent) => product * extent);

    /// <summary>Bytes of one element of <see cref="ElementType"/>.</summary>
    public int ElementBytes => ElementType switch
    {
        LaunchContract.Float32 => sizeof(float),
        _ => throw new InvalidOperationException($"unknown element type '{ElementType}'"),
    };
}
