using Gensor.Etir;

namespace Gensor.Backend.Lowering.Ir;

/// <summary>Where a buffer lives.</summary>
public enum BufferScope { Global, Shared }

/// <summary>
/// A buffer the kernel reads or writes: a kernel parameter (global memory, a
/// dense row-major tensor of its tensor's <see cref="Element"/> type) or a
/// statically allocated float32 shared array. Values in the kernel are float32
/// whatever the buffer holds: a load from a 16-bit buffer widens (exactly), a
/// store into one rounds to nearest even.
/// </summary>
/// <param name="Name">Its identifier in the kernel.</param>
/// <param name="Scope">Global (a parameter) or shared.</param>
/// <param name="Elements">Elements of <see cref="Element"/> type.</param>
/// <param name="Tensor">The tensor a parameter holds, or the tensor a shared buffer stages.</param>
public sealed record KernelBuffer(string Name, BufferScope Scope, long Elements, string Tensor)
{
    /// <summary>The element type in memory (float32 unless the tensor says otherwise).</summary>
    public ElementType Element { get; init; } = ElementType.F32;

    /// <summary>
    /// Whether a shared buffer is allocated in 16-byte units, which aligns it
    /// for 128-bit accesses; 64- and 128-bit accesses need it.
    /// </summary>
    public bool QuadAligned => Scope == BufferScope.Shared && Elements % 4 == 0;

    /// <summary>
    /// The kernel parameter that holds a global buffer's device address (a 64-bit integer after the tensors,
    /// <see cref="Launch.LaunchAddress"/>), where the kernel copies from it asynchronously; null elsewhere.
    /// </summary>
    public string? Address { get; init; }

    public override string ToString() => Name;
}
