namespace Gensor.Backend.Lowering.Ir;

/// <summary>
/// The load-reuse pass, after <see cref="Unrolling"/>: in straight-line code (the unrolled
/// points of a stage), a value that an earlier point already loaded (the same buffer, index
/// and bounds check) is taken from that point's register instead of loaded again. A
/// convolution's unrolled points overlap: output row y + 1 at filter row r reads what row y
/// reads at r + 1. ptxas does not merge such loads when each sits under its own bounds check,
/// so a 3×3 depthwise convolution with four rows per thread issued 36 input loads for 18
/// distinct values. The register is declared where the code starts and assigned by the first
/// load, so each value lives from its first use to its last, not from the start.
/// </summary>
public static class LoadReuse
{
    /// <summary>The kernel with every repeated load of its straight-line code read from the register of the first.</summary>
    public static KernelIr Apply(KernelIr kernel)
    {
        var names = new NameSource();
        return kernel with { Body = Rewrite(kernel.Body, names) };
    }

    private sealed class NameSource
    {
        private int _next;

        public Variable Next(IrType type) => new($"g_l{_next++}", type);
    }

    private static IrStmt Rewrite(IrStmt statement, NameSource names) => statement switch
    {
        IrStmt.Seq seq when IsStraightLine(seq) => Merge(seq, names),
        IrStmt.Seq seq => seq with { Body = [.. seq.Body.Select(s => Rewrite(s, names))] },
        IrStmt.For loop => loop with { Body = Rewrite(loop.Body, names) },
        IrStmt.If branch => branch with { Then = Rewrite(branch.Then, names) },
        _ => statement,
    };

    /// <summary>
    /// Code in which every statement runs once, in order, and memory does not change: declarations,
    /// assignments of registers and windows in nested blocks. A store, a barrier, a loop or a branch
    /// ends it (a load after a store or a barrier may see another value; one in a branch may not run).
    /// </summary>
    private static bool IsStraightLine(IrStmt statement) => statement switch
    {
        IrStmt.Seq seq => seq.Body.All(IsStraightLine),
        IrStmt.Declare or IrStmt.Assign or IrStmt.DeclareWindow or IrStmt.Comment => true,
        _ => false,
    };

    private static IrStmt.Seq Merge(IrStmt.Seq region, NameSource names)
    {
        // Names whose value can differ between two loads: assigned registers, and names declared
        // more than once (each copy of a partly unrolled loop's body declares its own window).
        var declared = new HashSet<string>();
        var changing = new HashSet<string>();
        var redeclared = false;
        foreach (var statement in region.Walk())
        {
            switch (statement)
            {
                case IrStmt.Assign assign:
                    changing.Add(assign.Variable.Name);
                    break;
                case IrStmt.Declare { Variable.Name: var name } when !declared.Add(name):
                    changing.Add(name);
                    redeclared = true;
                    break;
                case IrStmt.DeclareWindow { Window.Name: var name } when !declared.Add(name):
                    changing.Add(name);
                    redeclared = true;
                    break;
            }
        }
        var merged = MergeWhole(region, changing, names);
        // A name declared again keeps its value inside each block that declares it: each copy of a
        // partly unrolled body, with its own window, merges its loads within itself (a 3x3
        // convolution's channel loop unrolled 8 times loaded 18 values per channel for 12).
        return redeclared
            ? merged with { Body = [.. merged.Body.Select(s => s is IrStmt.Seq inner ? Merge(inner, names) : s)] }
            : merged;
    }

    /// <summary>The region with each load that repeats across it, reading no <paramref name="changing"/> name, made once into a register.</summary>
    private static IrStmt.Seq MergeWhole(IrStmt.Seq region, IReadOnlySet<string> changing, NameSource names)
    {
        var counts = new Dictionary<IrExpr, int>();
        foreach (var declare in region.Walk().OfType<IrStmt.Declare>())
        {
            if (IsReusableLoad(declare.Init, changing))
            {
                counts[declare.Init!] = counts.GetValueOrDefault(declare.Init!) + 1;
            }
        }
        if (!counts.Values.Any(count => count > 1))
        {
            return region;
        }
        var registers = new Dictionary<IrExpr, Variable>();
        var declarations = new List<IrStmt>();
        IrStmt Replace(IrStmt statement)
        {
            switch (statement)
            {
                case IrStmt.Seq seq:
                    return seq with { Body = [.. seq.Body.Select(Replace)] };
                case IrStmt.Declare { Init: { } init } declare when counts.GetValueOrDefault(init) > 1:
                    if (registers.TryGetValue(init, out var register))
                    {
                        return declare with { Init = IrExpr.Of(register) };
                    }
                    register = registers[init] = names.Next(declare.Variable.Type);
                    declarations.Add(new IrStmt.Declare(register, null));
                    // Not scoped: the declaration stays in the block of the statement it replaces.
                    return new IrStmt.Seq([new IrStmt.Assign(register, init), declare with { Init = IrExpr.Of(register) }]);
                default:
                    return statement;
            }
        }
        var body = region.Body.Select(Replace).ToArray();
        // After the windows, which the loads may read through.
        var windows = body.TakeWhile(s => s is IrStmt.DeclareWindow).Count();
        return region with { Body = [.. body.Take(windows), .. declarations, .. body.Skip(windows)] };
    }

    /// <summary>
    /// A value that only loads and computes from names that keep their value in the region:
    /// loading it again gives the same value. Shuffles exchange values between lanes and stay put.
    /// </summary>
    private static bool IsReusableLoad(IrExpr? init, IReadOnlySet<string> changing)
    {
        if (init is null)
        {
            return false;
        }
        var loads = false;
        foreach (var e in init.Walk())
        {
            switch (e)
            {
                case IrExpr.Load load when changing.Contains(load.Buffer.Name):
                    return false;
                case IrExpr.Load:
                    loads = true;
                    break;
                case IrExpr.ShuffleXor or IrExpr.Special:
                    return false;
                case IrExpr.Ref r when changing.Contains(r.Variable.Name):
                    return false;
                case IrExpr.Linear l when l.Terms.Any(t => changing.Contains(t.Variable.Name)):
                    return false;
            }
        }
        return loads;
    }
}
