using System.Collections.Immutable;

namespace Gensor.Backend.Lowering.Ir;

/// <summary>
/// The unrolling pass: every loop marked for unrolling becomes one scoped copy
/// of its body per trip, with the loop variable replaced by its value and
/// constants folded. A loop over the reduce points of a stage then leaves
/// straight-line code whose shared-memory offsets are constants added to a
/// base computed once, and bounds checks that are known to pass disappear.
/// A loop unrolled by a factor keeps its variable, now stepping over whole
/// bodies; copy k of the body reads it plus k steps, so its offsets are
/// constants added to the loop's base in the same way.
/// </summary>
public static class Unrolling
{
    /// <summary>The kernel with every loop marked <see cref="IrStmt.For.Unroll"/> unrolled, and every <see cref="IrStmt.For.UnrollBy"/> applied.</summary>
    public static KernelIr Apply(KernelIr kernel) => kernel with { Body = Rewrite(kernel.Body, ImmutableDictionary<Variable, IrExpr.Linear>.Empty) };

    private static IrStmt Rewrite(IrStmt statement, ImmutableDictionary<Variable, IrExpr.Linear> known) => statement switch
    {
        IrStmt.For { Unroll: true } loop => new IrStmt.Seq(
            [.. Trips(loop).Select(value => (IrStmt)new IrStmt.Seq([Rewrite(loop.Body, known.SetItem(loop.Index, IrExpr.Lin(value)))], Scoped: true))]),
        IrStmt.For { UnrollBy: > 1 } loop => loop with
        {
            Step = loop.Step * loop.UnrollBy,
            UnrollBy = 1,
            Body = new IrStmt.Seq([.. Enumerable.Range(0, loop.UnrollBy).Select(k =>
                (IrStmt)new IrStmt.Seq([Rewrite(loop.Body, known.SetItem(loop.Index, IrExpr.Sum([(1, loop.Index)], k * loop.Step)))], Scoped: true))]),
        },
        IrStmt.For loop => loop with { Body = Rewrite(loop.Body, known) },
        IrStmt.If branch => Fold(branch.Condition, known) switch
        {
            IrExpr.Bool { Value: true } => Rewrite(branch.Then, known),
            IrExpr.Bool { Value: false } => new IrStmt.Seq([]),
            var condition => new IrStmt.If(condition, Rewrite(branch.Then, known)),
        },
        IrStmt.Seq seq => seq with { Body = [.. seq.Body.Select(s => Rewrite(s, known))] },
        IrStmt.Declare declare => declare with { Init = declare.Init is null ? null : Fold(declare.Init, known) },
        IrStmt.Assign assign => assign with { Value = Fold(assign.Value, known) },
        IrStmt.Store store => store with { Index = Fold(store.Index, known), Value = Fold(store.Value, known) },
        IrStmt.AtomicAdd add => add with { Index = Fold(add.Index, known), Value = Fold(add.Value, known) },
        IrStmt.DeclareWindow window => window with { Offset = Fold(window.Offset, known) },
        IrStmt.AsyncCopy copy => copy with
        {
            SharedIndex = Fold(copy.SharedIndex, known),
            GlobalIndex = Fold(copy.GlobalIndex, known),
            Valid = copy.Valid is null ? null : Fold(copy.Valid, known),
        },
        _ => statement,
    };

    private static IEnumerable<long> Trips(IrStmt.For loop)
    {
        for (var value = loop.Start; value < loop.End; value += loop.Step)
        {
            yield return value;
        }
    }

    /// <summary><paramref name="expr"/> with the known variables replaced by their values (constants, or another variable plus a constant), constants folded.</summary>
    public static IrExpr Fold(IrExpr expr, IReadOnlyDictionary<Variable, IrExpr.Linear> known) => expr switch
    {
        IrExpr.Ref r when known.TryGetValue(r.Variable, out var value) => value.Terms.Length == 0 ? new IrExpr.Int(value.Constant) : value,
        IrExpr.Linear linear => FoldLinear(linear, known),
        IrExpr.Binary b => FoldBinary(b.Op, Fold(b.Left, known), Fold(b.Right, known)),
        IrExpr.Unary u => u with { Operand = Fold(u.Operand, known) },
        IrExpr.Select s => Fold(s.Condition, known) switch
        {
            IrExpr.Bool { Value: true } => Fold(s.Then, known),
            IrExpr.Bool { Value: false } => Fold(s.Else, known),
            var condition => new IrExpr.Select(condition, Fold(s.Then, known), Fold(s.Else, known)),
        },
        IrExpr.InRange range => Fold(range.Index, known) switch
        {
            IrExpr.Linear { Terms.Length: 0 } constant => new IrExpr.Bool(constant.Constant >= 0 && constant.Constant < range.Extent),
            IrExpr.Int constant => new IrExpr.Bool(constant.Value >= 0 && constant.Value < range.Extent),
            var index => new IrExpr.InRange(index, range.Extent),
        },
        IrExpr.BitSet bit => bit with { Value = Fold(bit.Value, known) },
        IrExpr.Load load => load with { Index = Fold(load.Index, known) },
        IrExpr.Lane lane => lane with { Vector = Fold(lane.Vector, known) },
        IrExpr.Pack pack => new IrExpr.Pack([.. pack.Lanes.Select(l => Fold(l, known))]),
        IrExpr.ShuffleXor shuffle => shuffle with { Value = Fold(shuffle.Value, known) },
        _ => expr,
    };

    private static IrExpr.Linear FoldLinear(IrExpr.Linear linear, IReadOnlyDictionary<Variable, IrExpr.Linear> known)
    {
        var constant = linear.Constant;
        var terms = new List<(long, Variable)>();
        foreach (var (coefficient, variable) in linear.Terms)
        {
            if (known.TryGetValue(variable, out var value))
            {
                constant += coefficient * value.Constant;
                terms.AddRange(value.Terms.Select(term => (coefficient * term.Coefficient, term.Variable)));
            }
            else
            {
                terms.Add((coefficient, variable));
            }
        }
        return IrExpr.Sum(terms, constant);
    }

    private static IrExpr FoldBinary(BinaryOperator op, IrExpr left, IrExpr right)
    {
        if (op == BinaryOperator.And)
        {
            return (left, right) switch
            {
                (IrExpr.Bool { Value: true }, _) => right,
                (_, IrExpr.Bool { Value: true }) => left,
                (IrExpr.Bool { Value: false }, _) or (_, IrExpr.Bool { Value: false }) => new IrExpr.Bool(false),
                _ => new IrExpr.Binary(op, left, right),
            };
        }
        if (AsConstant(left) is { } l && AsConstant(right) is { } r)
        {
            switch (op)
            {
                case BinaryOperator.Add: return new IrExpr.Int(l + r);
                case BinaryOperator.Subtract: return new IrExpr.Int(l - r);
                case BinaryOperator.Multiply: return new IrExpr.Int(l * r);
                case BinaryOperator.Divide when r != 0: return new IrExpr.Int(l / r);
                case BinaryOperator.Remainder when r != 0: return new IrExpr.Int(l % r);
                case BinaryOperator.IndexDivide when r != 0: return new IrExpr.Int(l / r);
                case BinaryOperator.IndexRemainder when r != 0: return new IrExpr.Int(l % r);
                case BinaryOperator.Less: return new IrExpr.Bool(l < r);
            }
        }
        return new IrExpr.Binary(op, left, right);
    }

    private static long? AsConstant(IrExpr expr) => expr switch
    {
        IrExpr.Int i => i.Value,
        IrExpr.Linear { Terms.Length: 0 } linear => linear.Constant,
        _ => null,
    };
}
