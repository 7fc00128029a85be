namespace Gensor.Backend.Inspection;

/// <summary>
/// One SASS instruction: <c>/*0330*/ @P2 IADD3 R0, R0, -0x4, RZ ;</c> has offset 0x330,
/// predicate <c>P2</c>, opcode <c>IADD3</c>, no modifiers; <c>LDG.E.128</c> is opcode
/// <c>LDG</c> with modifiers <c>E</c> and <c>128</c>.
/// </summary>
/// <param name="Offset">Its byte offset in the function.</param>
/// <param name="Predicate">The guard (<c>P2</c>, <c>!P0</c>), or null when unguarded.</param>
/// <param name="Opcode">The base opcode.</param>
/// <param name="Modifiers">The opcode's dot-separated modifiers, in order.</param>
/// <param name="Text">The whole instruction as printed, without the offset.</param>
public sealed record SassInstruction(int Offset, string? Predicate, string Opcode, IReadOnlyList<string> Modifiers, string Text)
{
    /// <summary>True for a 128-bit memory access (<c>LDS.128</c>, <c>LDS.U.128</c>, <c>LDG.E.128.CONSTANT</c>).</summary>
    public bool Is128Bit => Modifiers.Contains("128");
}
