using System.Collections.Immutable;

namespace Gensor.Backend.Lowering.Ir;

/// <summary>A statement of the kernel body.</summary>
public abstract record IrStmt
{
    /// <summary>Declares <paramref name="Variable"/>, with an initial value or its type's default.</summary>
    public sealed record Declare(Variable Variable, IrExpr? Init) : IrStmt;

    public sealed record Assign(Variable Variable, IrExpr Value) : IrStmt;

    /// <summary>Stores <paramref name="Width"/> floats (a scalar or a vector value) at vector <paramref name="Index"/> (elements / width) of <paramref name="Buffer"/>.</summary>
    public sealed record Store(KernelBuffer Buffer, IrExpr Index, IrExpr Value, int Width) : IrStmt;

    /// <summary>
    /// Declares <paramref name="Window"/> as <paramref name="Buffer"/>'s (global or shared) vectors of
    /// <paramref name="Width"/> elements (1: its elements) from vector <paramref name="Offset"/> on
    /// (a sub-view); the window's accesses of that width index its vectors. Accesses to the window a
    /// constant apart share its address: ptxas folds each constant into the access, where indexing
    /// the whole buffer costs a 64-bit multiply-add per access (the 32-bit index is widened before
    /// it is scaled). A window of vectors keeps their alignment, which 128- and 64-bit accesses need.
    /// A window that <paramref name="MayStartOutside"/> can start before the buffer or past its
    /// end (a padded convolution's first operand, a ragged last stage) and be indexed below its
    /// start: only the accesses made through it lie inside the buffer.
    /// </summary>
    public sealed record DeclareWindow(KernelBuffer Window, KernelBuffer Buffer, IrExpr Offset, int Width, bool MayStartOutside = false) : IrStmt;

    /// <summary>Adds the float <paramref name="Value"/> to element <paramref name="Index"/> of <paramref name="Buffer"/> atomically (split-K partial sums).</summary>
    public sealed record AtomicAdd(KernelBuffer Buffer, IrExpr Index, IrExpr Value) : IrStmt;

    /// <summary>
    /// A counted loop of <paramref name="Index"/> from <paramref name="Start"/> while below
    /// <paramref name="End"/> by <paramref name="Step"/>. An <paramref name="Unroll"/>ed loop is
    /// replaced by copies of its body, one per value, before printing (<see cref="Unrolling"/>);
    /// a loop unrolled <paramref name="UnrollBy"/> times (its trips a multiple of it) stays a loop
    /// whose body holds that many copies.
    /// </summary>
    public sealed record For(Variable Index, long Start, long End, long Step, bool Unroll, IrStmt Body, int UnrollBy = 1) : IrStmt
    {
        public long Trips => End <= Start ? 0 : (End - Start + Step - 1) / Step;
    }

    public sealed record If(IrExpr Condition, IrStmt Then) : IrStmt;

    /// <summary>Statements in order; a <paramref name="Scoped"/> sequence is a C# block (its declarations end with it).</summary>
    public sealed record Seq(ImmutableArray<IrStmt> Body, bool Scoped = false) : IrStmt
    {
        public bool Equals(Seq? other) => other is not null && Scoped == other.Scoped && Body.SequenceEqual(other.Body);

        public override int GetHashCode() => HashCode.Combine(Scoped, Body.Length);
    }

    /// <summary>
    /// Copies <paramref name="Width"/> floats from vector <paramref name="GlobalIndex"/> of global buffer
    /// <paramref name="Global"/> (which has an <see cref="KernelBuffer.Address"/>) to vector <paramref name="SharedIndex"/>
    /// of shared buffer <paramref name="Shared"/> (indices in vectors of the width, as a load's and a store's), or
    /// zeros where <paramref name="Valid"/> is false: <c>cp.async</c> on CUDA, which returns before the copy lands
    /// (<see cref="WaitAsyncCopies"/> waits for it); elsewhere a load and a store.
    /// </summary>
    public sealed record AsyncCopy(KernelBuffer Shared, IrExpr SharedIndex, KernelBuffer Global, IrExpr GlobalIndex, int Width, IrExpr? Valid) : IrStmt;

    /// <summary>Waits until the thread's asynchronous copies have landed (a barrier then shows them to the block).</summary>
    public sealed record WaitAsyncCopies : IrStmt;

    /// <summary>Every thread of the block waits here until all have arrived (and shared writes are visible).</summary>
    public sealed record Barrier : IrStmt;

    /// <summary>A comment in the printed source.</summary>
    public sealed record Comment(string Text) : IrStmt;

    /// <summary>The expressions this statement holds itself (not those of the statements inside it).</summary>
    public IEnumerable<IrExpr> Expressions() => this switch
    {
        Declare { Init: { } init } => [init],
        Assign assign => [assign.Value],
        Store store => [store.Index, store.Value],
        AtomicAdd add => [add.Index, add.Value],
        DeclareWindow window => [window.Offset],
        AsyncCopy { Valid: { } valid } copy => [copy.SharedIndex, copy.GlobalIndex, valid],
        AsyncCopy copy => [copy.SharedIndex, copy.GlobalIndex],
        If branch => [branch.Condition],
        _ => [],
    };

    /// <summary>Every statement of the tree, depth first, this one included.</summary>
    public IEnumerable<IrStmt> Walk()
    {
        yield return this;
        var children = this switch
        {
            For loop => [loop.Body],
            If branch => [branch.Then],
            Seq seq => seq.Body.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var statement in child.Walk())
            {
                yield return statement;
            }
        }
    }
}
