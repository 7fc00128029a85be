using System.Collections.Immutable;

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
    /// <summary>Shared bytes the kernel allocates.</summary>
    public long SharedBytes => Shared.Sum(buffer => buffer.Elements) * sizeof(float);

    /// <summary>Every statement, depth first.</summary>
    public IEnumerable<IrStmt> Statements => Body.Walk();
}
