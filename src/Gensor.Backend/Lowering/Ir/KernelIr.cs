using System.Collections.Immutable;

using Gensor.Etir;

namespace Gensor.Backend.Lowering.Ir;

/// <summary>
/// One kernel as a tree of values: its parameters (the launch contract's order),
/// its shared buffers, its body, and how it is launched. The lowering builds
/// it from an ETIR; passes transform it (<see cref="Unrolling"/>); a printer
/// writes it (<see cref="CSharpPrinter"/>). Tests check its structure.
/// </summary>
/// <param name="Parameters">Global buffers in argument order: the output, then the inputs.</param>
/// <param name="Shared">Statically allocated shared buffers.</param>
/// <param name="Body">What every thread runs.</param>
/// <param name="GridSize">Blocks in the one-dimensional grid.</param>
/// <param name="GroupSize">Threads per block.</param>
public sealed record KernelIr(
    ImmutableArray<KernelBuffer> Parameters,
    ImmutableArray<KernelBuffer> Shared,
    IrStmt Body,
    long GridSize,
    int GroupSize)
{
    /// <summary>
    /// Whether the shared buffers are cut from one allocation, each from a 16-byte boundary, in
    /// <see cref="Shared"/>'s order: a kernel with asynchronous copies addresses shared memory from the
    /// allocation's start (<see cref="SharedOffset"/>), which with one allocation has a known name in PTX.
    /// </summary>
    public bool OneSharedAllocation { get; init; }

    /// <summary>Shared bytes the kernel allocates.</summary>
    public long SharedBytes => OneSharedAllocation
        ? Shared.Sum(buffer => Quads(buffer.Elements) * 4L * buffer.Element.Bytes())
        : Shared.Sum(buffer => buffer.Elements * buffer.Element.Bytes());

    /// <summary>Where <paramref name="buffer"/> starts in the one allocation, in elements (<see cref="OneSharedAllocation"/>).</summary>
    public long SharedOffset(KernelBuffer buffer) =>
        Shared.TakeWhile(other => other != buffer).Sum(other => Quads(other.Elements) * 4L);

    private static long Quads(long elements) => (elements + 3) / 4;

    /// <summary>Every statement, depth first.</summary>
    public IEnumerable<IrStmt> Statements => Body.Walk();
}
