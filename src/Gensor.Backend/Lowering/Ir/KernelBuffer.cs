namespace Gensor.Backend.Lowering.Ir;

/// <summary>Where a buffer lives.</summary>
public enum BufferScope { Global, Shared }

/// <summary>
/// A float32 buffer the kernel reads or writes: a kernel parameter (global
/// memory, a dense row-major tensor) or a statically allocated shared array.
/// </summary>
/// <param name="Name">Its identifier in the kernel.</param>
/// <param name="Scope">Global (a parameter) or shared.</param>
/// <param name="Elements">Float32 elements.</param>
/// <param name="Tensor">The tensor a parameter holds, or the tensor a shared buffer stages.</param>
public sealed record KernelBuffer(string Name, BufferScope Scope, long Elements, string Tensor)
{
    /// <summary>
    /// Whether a shared buffer is allocated in 16-byte units, which aligns it
    /// for 128-bit accesses; 64- and 128-bit accesses need it.
    /// </summary>
    public bool QuadAligned => Scope == BufferScope.Shared && Elements % 4 == 0;

    public override string ToString() => Name;
}
