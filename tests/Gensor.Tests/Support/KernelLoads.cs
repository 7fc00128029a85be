using Gensor.Backend.Lowering.Ir;

namespace Gensor.Tests.Support;

/// <summary>The loads a lowered kernel makes, as the tests of its memory access count them.</summary>
public static class KernelLoads
{
    /// <summary>Every load in <paramref name="kernel"/>'s statements (a loop body's once, however often it runs).</summary>
    public static IrExpr.Load[] Of(KernelIr kernel) => In(kernel.Body);

    /// <summary>Every load in <paramref name="statement"/> and the statements nested in it.</summary>
    public static IrExpr.Load[] In(IrStmt statement) =>
        [.. statement.Walk().SelectMany(s => s.Expressions()).SelectMany(e => e.Walk()).OfType<IrExpr.Load>()];
}
