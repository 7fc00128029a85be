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
            Opcodes: opcodes);
    }
}
