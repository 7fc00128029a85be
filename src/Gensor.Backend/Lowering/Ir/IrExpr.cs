using System.Collections.Immutable;

namespace Gensor.Backend.Lowering.Ir;

/// <summary>
/// A value computed by the kernel. Integer index arithmetic is kept in
/// <see cref="Linear"/> form (a sum of multiples of variables plus a
/// constant), so substituting a constant for a loop variable and folding
/// constants leaves every address as a hoisted base plus a constant offset.
/// </summary>
public abstract record IrExpr
{
    /// <summary>An integer literal.</summary>
    public sealed record Int(long Value) : IrExpr;

    /// <summary>A boolean literal (what a bounds check folds to when its index is known).</summary>
    public sealed record Bool(bool Value) : IrExpr;

    /// <summary>A float32 literal.</summary>
    public sealed record Float(double Value) : IrExpr;

    /// <summary>The value of a variable.</summary>
    public sealed record Ref(Variable Variable) : IrExpr;

    /// <summary>An integer affine form: Σ coefficient × variable + constant.</summary>
    public sealed record Linear(ImmutableArray<(long Coefficient, Variable Variable)> Terms, long Constant) : IrExpr
    {
        public bool Equals(Linear? other) =>
            other is not null && Constant == other.Constant && Terms.SequenceEqual(other.Terms);

        public override int GetHashCode() => HashCode.Combine(Constant, Terms.Length);
    }

    /// <summary>Integer block and thread indices.</summary>
    public sealed record Special(SpecialValue Which) : IrExpr;

    /// <summary>An operation of two operands.</summary>
    public sealed record Binary(BinaryOperator Op, IrExpr Left, IrExpr Right) : IrExpr;

    /// <summary>A function of one float operand.</summary>
    public sealed record Unary(UnaryOperator Op, IrExpr Operand) : IrExpr;

    /// <summary><paramref name="Then"/> where <paramref name="Condition"/> holds, else <paramref name="Else"/>.</summary>
    public sealed record Select(IrExpr Condition, IrExpr Then, IrExpr Else) : IrExpr;

    /// <summary>Whether 0 ≤ <paramref name="Index"/> &lt; <paramref name="Extent"/> (one unsigned comparison).</summary>
    public sealed record InRange(IrExpr Index, long Extent) : IrExpr;

    /// <summary>Whether bit <paramref name="Bit"/> (0 to 30) of the integer <paramref name="Value"/> is set (one LOP3 into a predicate).</summary>
    public sealed record BitSet(IrExpr Value, int Bit) : IrExpr;

    /// <summary>
    /// <paramref name="Width"/> consecutive floats of <paramref name="Buffer"/>: a scalar, or a
    /// 64- or 128-bit vector load. <paramref name="Index"/> counts whole vectors (elements / width),
    /// so a vector address is a base in vector units plus a constant, with no shift per access.
    /// </summary>
    public sealed record Load(KernelBuffer Buffer, IrExpr Index, int Width) : IrExpr;

    /// <summary>Lane <paramref name="Index"/> (0 to 3) of a vector value.</summary>
    public sealed record Lane(IrExpr Vector, int Index) : IrExpr;

    /// <summary>A vector of 2 or 4 floats from scalars.</summary>
    public sealed record Pack(ImmutableArray<IrExpr> Lanes) : IrExpr;

    /// <summary>The value of <paramref name="Value"/> in the lane whose index differs in the bits of <paramref name="LaneMask"/> (a butterfly shuffle).</summary>
    public sealed record ShuffleXor(IrExpr Value, int LaneMask) : IrExpr;

    /// <summary>Every expression of the tree, depth first, this one included.</summary>
    public IEnumerable<IrExpr> Walk()
    {
        yield return this;
        var children = this switch
        {
            Binary b => [b.Left, b.Right],
            Unary u => [u.Operand],
            Select s => [s.Condition, s.Then, s.Else],
            InRange r => [r.Index],
            BitSet b => [b.Value],
            Load l => [l.Index],
            Lane l => [l.Vector],
            Pack p => p.Lanes.AsEnumerable(),
            ShuffleXor x => [x.Value],
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var expression in child.Walk())
            {
                yield return expression;
            }
        }
    }

    public static IrExpr Of(Variable variable) => new Ref(variable);

    public static Linear Lin(long constant) => new([], constant);

    public static Linear Lin(Variable variable, long coefficient = 1) => new([(coefficient, variable)], 0);

    /// <summary>
    /// The affine form Σ coefficient × variable + constant with each variable once,
    /// in order of first appearance, and no zero coefficient.
    /// </summary>
    public static Linear Sum(IEnumerable<(long Coefficient, Variable Variable)> terms, long constant = 0)
    {
        var merged = new List<(long Coefficient, Variable Variable)>();
        foreach (var (coefficient, variable) in terms)
        {
            var at = merged.FindIndex(term => term.Variable == variable);
            if (at >= 0)
            {
                merged[at] = (merged[at].Coefficient + coefficient, variable);
            }
            else
            {
                merged.Add((coefficient, variable));
            }
        }
        return new Linear([.. merged.Where(term => term.Coefficient != 0)], constant);
    }

    /// <summary>The sum of affine forms, each scaled.</summary>
    public static Linear Sum(params (long Scale, Linear Form)[] parts) =>
        Sum(parts.SelectMany(part => part.Form.Terms.Select(term => (term.Coefficient * part.Scale, term.Variable))),
            parts.Sum(part => part.Scale * part.Form.Constant));

    public static IrExpr operator +(IrExpr left, IrExpr right) => new Binary(BinaryOperator.Add, left, right);

    public static IrExpr operator *(IrExpr left, IrExpr right) => new Binary(BinaryOperator.Multiply, left, right);
}

/// <summary>Values every thread reads from the launch.</summary>
public enum SpecialValue { BlockIndex, ThreadIndex }

/// <summary>Operators of two operands; integer or float by their operands.</summary>
/// <remarks>
/// <see cref="IndexDivide"/> and <see cref="IndexRemainder"/> are integer division of a
/// non-negative index by a positive constant (coordinates of blocks, threads, stages and
/// copy elements). The printer writes them as shifts and masks, or as a multiply-high and a
/// shift (<see cref="Gensor.Backend.Lowering.ConstantDivision"/>): ptxas divides by an immediate
/// with a reciprocal and corrections, which a convolution's copies would pay for every element.
/// </remarks>
public enum BinaryOperator { Add, Subtract, Multiply, Divide, Remainder, Max, Min, Less, And, IndexDivide, IndexRemainder }

/// <summary>Element-wise float functions.</summary>
public enum UnaryOperator { Negate, Relu, Exp, Tanh, Sigmoid, Sqrt, Abs }
