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
/// <param name="ElementType">The element type's name: <c>f32</c>, <c>f16</c> (ILGPU <c>Half</c>) or <c>bf16</c> (<c>ushort</c> bits).</param>
/// <param name="Role">Output or input.</param>
public sealed record LaunchTensor(string Name, string Parameter, ValueArray<int> Shape, string ElementType, TensorRole Role)
{
    public long ElementCount => Shape.Aggregate(1L, (product, extent) => product * extent);

    /// <summary>Bytes of one element of <see cref="ElementType"/>.</summary>
    public int ElementBytes => Type.Bytes();

    /// <summary>The element type.</summary>
    public ElementType Type => ElementTypes.Parse(ElementType) ?? throw new InvalidOperationException($"unknown element type '{ElementType}'");
}
