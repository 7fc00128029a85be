using Gensor.Feedback;

namespace Gensor.Backend.Inspection;

/// <summary>One function of a SASS listing: its name, the architecture and its instructions in order.</summary>
public sealed record SassFunction(string Name, string Architecture, IReadOnlyList<SassInstruction> Instructions)
{
    /// <summary>
    /// The static instruction mix: each instruction counted once, by kind. Instructions
    /// guarded by <c>@!PT</c> never run (ptxas pads Volta code with such a SHFL) and are not counted,
    /// nor are those that serve only a generic atomic's shared or local address (<see cref="GenericAtomicFallback"/>).
    /// </summary>
    public InstructionMix Mix()
    {
        var fallback = GenericAtomicFallback();
        bool Live(SassInstruction i, int at) => i.Predicate != "!PT" && !fallback.Contains(at);
        var live = Instructions.Where(Live).ToArray();
        int Count(string opcode, bool wide = false) =>
            live.Count(i => i.Opcode == opcode && (!wide || i.Is128Bit));
        // Generic LD and ST count with LDG and STG: the kernels are compiled at ILGPU's O1 (KernelDevice), which
        // leaves kernel parameters in the generic address space, and shared memory is always addressed as such (LDS, STS).
        int Global(string global, string generic, bool wide = false) => Count(global, wide) + Count(generic, wide);
        var opcodes = live
            .GroupBy(i => i.Opcode, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        // Every instruction has one size (16 bytes from Volta on); the gap between the first two says which.
        var size = Instructions.Count > 1 ? Instructions[1].Offset - Instructions[0].Offset : 16;
        var codeBytes = Instructions.Count == 0 ? 0 : Instructions[^1].Offset + size;
        return new InstructionMix(
            Total: live.Count(i => i.Opcode != "NOP"),
            CodeBytes: codeBytes,
            Ffma: Count("FFMA"),
            Hmma: Count("HMMA"),
            Lds: Count("LDS"),
            Lds128: Count("LDS", wide: true),
            Ldsm: Count("LDSM"),
            Ldg: Global("LDG", "LD"),
            Ldg128: Global("LDG", "LD", wide: true),
            Ldgsts: Count("LDGSTS"),
            Sts: Count("STS"),
            Sts128: Count("STS", wide: true),
            Stg: Global("STG", "ST"),
            Stg128: Global("STG", "ST", wide: true),
            Imad: Count("IMAD"),
            Shfl: Count("SHFL"),
            Bar: Count("BAR"),
            Opcodes: opcodes)
        {
            GenericFallback = fallback.Count,
            MainLoop = MainLoop(Live),
        };
    }

    /// <summary>
    /// Of the innermost loops (a backward branch whose body, from its target to the branch, holds no
    /// other backward branch), the one with the most multiply-adds; null when there is none with any.
    /// </summary>
    private LoopMix? MainLoop(Func<SassInstruction, int, bool> live)
    {
        var positions = PositionsByOffset();
        var loops = new List<(int Start, int End)>();
        for (var i = 0; i < Instructions.Count; i++)
        {
            if (Instructions[i].Opcode == "BRA" && BranchTarget(Instructions[i]) is { } target
                && target <= Instructions[i].Offset && positions.TryGetValue(target, out var start))
            {
                loops.Add((start, i));
            }
        }
        LoopMix? best = null;
        foreach (var (start, end) in loops)
        {
            if (loops.Any(other => other != (start, end) && other.Start >= start && other.End <= end))
            {
                continue;
            }
            var body = Enumerable.Range(start, end - start + 1).Where(at => live(Instructions[at], at) && Instructions[at].Opcode != "NOP").Select(at => Instructions[at]).ToArray();
            var loop = new LoopMix(
                body.Length,
                body.Count(i => i.Opcode == "FFMA"),
                body.Count(i => i.Opcode == "HMMA"),
                body.Count(i => i.Opcode is "LDS" or "LDSM" or "LDG" or "LD" or "LDGSTS"));
            if (loop.Ffma + loop.Hmma > 0 && (best is null || loop.Ffma + loop.Hmma > best.Ffma + best.Hmma))
            {
                best = loop;
            }
        }
        return best;
    }

    /// <summary>
    /// The positions of the instructions that serve only a generic atomic's shared or local
    /// address. For an atomic on a generic address (<c>ATOM.E</c>: ILGPU leaves kernel parameters
    /// generic at O1, so split-K's partial sums add this way), ptxas emits the global atomic with a
    /// predicate saying whether it took and, when it did not, jumps past it (<c>@P0 BRA</c> to where
    /// the paths join, or <c>@P0 EXIT</c> at the end) into an address-space test (<c>QSPC</c>) and
    /// code for the other spaces: a shared-memory compare-and-swap loop (LDS, ATOMS) and a local
    /// load, add and store (LD, ST). A kernel parameter is global, so none of it runs; counted with
    /// the rest it would read as two loads per atomic. The code is what is reachable from the test
    /// before the join.
    /// </summary>
    private HashSet<int> GenericAtomicFallback()
    {
        var fallback = new HashSet<int>();
        var positions = PositionsByOffset();
        string? atomicTaken = null;
        for (var i = 1; i < Instructions.Count; i++)
        {
            var previous = Instructions[i - 1];
            if (previous is { Opcode: "ATOM" } atom && atom.Modifiers.Contains("E") && FirstOperand(atom) is ['P', >= '0' and <= '6'] taken)
            {
                atomicTaken = taken;
            }
            if (Instructions[i].Opcode != "QSPC" || atomicTaken is null || previous.Predicate != atomicTaken || previous.Opcode is not ("BRA" or "EXIT"))
            {
                continue;
            }
            var join = previous.Opcode == "BRA" ? BranchTarget(previous) : null;
            if (previous.Opcode == "BRA" && join is null)
            {
                continue;
            }
            var pending = new Stack<int>([i]);
            while (pending.TryPop(out var at))
            {
                if (at >= Instructions.Count || Instructions[at].Offset == join || !fallback.Add(at))
                {
                    continue;
                }
                var instruction = Instructions[at];
                if (instruction.Opcode == "BRA" && BranchTarget(instruction) is { } target && positions.TryGetValue(target, out var to))
                {
                    pending.Push(to);
                }
                if (instruction.Predicate is not null || instruction.Opcode is not ("BRA" or "EXIT"))
                {
                    pending.Push(at + 1);
                }
            }
        }
        return fallback;
    }

    /// <summary>Each instruction's position in <see cref="Instructions"/> by its offset, where branches point.</summary>
    private Dictionary<int, int> PositionsByOffset()
    {
        var positions = new Dictionary<int, int>();
        for (var i = 0; i < Instructions.Count; i++)
        {
            positions.TryAdd(Instructions[i].Offset, i);
        }
        return positions;
    }

    private static int? BranchTarget(SassInstruction branch) =>
        FirstOperand(branch) is { } operand && operand.StartsWith("0x", StringComparison.Ordinal)
        && int.TryParse(operand.AsSpan(2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var target)
            ? target
            : null;

    /// <summary>The first operand as printed (<c>P0</c> in <c>ATOM.E.ADD P0, RZ, [R4.64], R75 ;</c>), or null when there is none.</summary>
    private static string? FirstOperand(SassInstruction instruction)
    {
        var text = instruction.Text.TrimStart('{', ' ');
        if (text.StartsWith('@'))
        {
            text = text[(text.IndexOf(' ') + 1)..].TrimStart();
        }
        var space = text.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            return null;
        }
        var operand = text[(space + 1)..].Split(',', ';')[0].Trim();
        return operand.Length == 0 ? null : operand;
    }
}
