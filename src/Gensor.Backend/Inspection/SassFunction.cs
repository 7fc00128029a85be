using Gensor.Feedback;

namespace Gensor.Backend.Inspection;

/// <summary>One function of a SASS listing: its name, the architecture and its instructions in order.</summary>
public sealed record SassFunction(string Name, string Architecture, IReadOnlyList<SassInstruction> Instructions)
{
    /// <summary>
    /// The static instruction mix: each instruction counted once, by kind. Instructions
    /// guarded by <c>@!PT</c> never run (ptxas pads Volta code with such a SHFL) and are not counted.
    /// </summary>
    public InstructionMix Mix()
    {
        var live = Instructions.Where(i => i.Predicate != "!PT").ToArray();
        int Count(string opcode, bool wide = false) =>
            live.Count(i => i.Opcode == opcode && (!wide || i.Is128Bit));
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
            Ldg: Count("LDG"),
            Ldg128: Count("LDG", wide: true),
            Ldgsts: Count("LDGSTS"),
            Sts: Count("STS"),
            Sts128: Count("STS", wide: true),
            Stg: Count("STG"),
            Stg128: Count("STG", wide: true),
            Imad: Count("IMAD"),
            Shfl: Count("SHFL"),
            Bar: Count("BAR"),
            Opcodes: opcodes);
    }
}
