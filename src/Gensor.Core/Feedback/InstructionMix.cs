namespace Gensor.Feedback;

/// <summary>
/// The static SASS instruction mix of a kernel: how many instructions of each
/// kind its machine code holds (each counted once, however often it runs).
/// Variants count with their base opcode (<c>IMAD.WIDE</c> and <c>IMAD.MOV.U32</c>
/// are IMADs; <c>LDS.U.128</c> is an LDS and an LDS.128). NOP padding is not counted,
/// nor are instructions guarded by <c>@!PT</c>, which never run.
/// </summary>
/// <param name="Total">All instructions but NOPs and never-run ones (<see cref="GenericFallback"/> left out too).</param>
/// <param name="CodeBytes">The size of the function's machine code, NOP padding included.</param>
/// <param name="Ffma">FP32 fused multiply-adds.</param>
/// <param name="Hmma">Tensor-core matrix multiply-adds (HMMA).</param>
/// <param name="Lds">Shared-memory loads, of any width.</param>
/// <param name="Lds128">Shared-memory loads of 128 bits.</param>
/// <param name="Ldsm">Shared-memory matrix loads (<c>ldmatrix</c>, LDSM): up to four 8x8 tiles of 16-bit values a warp, a 32-bit word each a lane, in one instruction.</param>
/// <param name="Ldg">Global-memory loads, of any width: LDG and generic LD (how a kernel parameter is read when the compiler did not infer its address space).</param>
/// <param name="Ldg128">Global-memory loads of 128 bits.</param>
/// <param name="Ldgsts">Asynchronous global-to-shared copies (<c>cp.async</c>, sm_80 and later).</param>
/// <param name="Sts">Shared-memory stores, of any width.</param>
/// <param name="Sts128">Shared-memory stores of 128 bits.</param>
/// <param name="Stg">Global-memory stores, of any width: STG and generic ST.</param>
/// <param name="Stg128">Global-memory stores of 128 bits.</param>
/// <param name="Imad">Integer multiply-adds, every variant (address and index arithmetic, moves).</param>
/// <param name="Shfl">Warp shuffles.</param>
/// <param name="Bar">Barriers (<c>BAR.SYNC</c> and kin).</param>
/// <param name="Opcodes">Every base opcode with its count (NOPs included), for what the named counts leave out.</param>
public sealed record InstructionMix(
    int Total,
    int CodeBytes,
    int Ffma,
    int Hmma,
    int Lds,
    int Lds128,
    int Ldsm,
    int Ldg,
    int Ldg128,
    int Ldgsts,
    int Sts,
    int Sts128,
    int Stg,
    int Stg128,
    int Imad,
    int Shfl,
    int Bar,
    IReadOnlyDictionary<string, int> Opcodes)
{
    /// <summary>
    /// Instructions left out of every count above because they serve only a generic atomic's shared
    /// or local address, which a kernel parameter never is: ptxas's fallback after an atomic on a
    /// generic address (a compare-and-swap loop on shared memory, a load, add and store on local).
    /// </summary>
    public int GenericFallback { get; init; }

    /// <summary>
    /// FFMA per load instruction, FFMA / (LDS + LDSM + LDG + LDGSTS): how much arithmetic
    /// each load feeds. A cp.async copy replaces an LDG and an STS, so it counts as
    /// the global load it is. Null when the kernel loads nothing.
    /// </summary>
    public double? FfmaPerLoad => Lds + Ldsm + Ldg + Ldgsts == 0 ? null : (double)Ffma / (Lds + Ldsm + Ldg + Ldgsts);

    /// <summary>The kernel's main loop (<see cref="LoopMix"/>); null when its code has no loop.</summary>
    public LoopMix? MainLoop { get; init; }
}

/// <summary>
/// A kernel's main loop as its machine code holds it: of the innermost loops (a backward branch
/// with no other inside its body), the one with the most multiply-adds, each instruction counted
/// once. What runs most is there: its share of multiply-adds says how much of the issue goes to
/// arithmetic rather than addresses, loads and loop control, which whole-kernel counts blur with
/// the code before and after the loop.
/// </summary>
/// <param name="Instructions">Instructions in the loop's body, the branch back included (NOPs not counted).</param>
/// <param name="Ffma">FP32 fused multiply-adds in it.</param>
/// <param name="Hmma">Tensor-core matrix multiply-adds in it.</param>
/// <param name="Loads">Shared and global loads in it (LDS, LDSM, LDG, generic LD, LDGSTS).</param>
public sealed record LoopMix(int Instructions, int Ffma, int Hmma, int Loads)
{
    /// <summary>The multiply-adds' share of the loop's instructions.</summary>
    public double MathShare => Instructions == 0 ? 0 : (double)(Ffma + Hmma) / Instructions;
}
