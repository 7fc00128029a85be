namespace Gensor.Analysis;

/// <summary>
/// The register estimate of a SIMT schedule, term by term as the lowering writes the kernel
/// (<see cref="OperatorAnalysis.EstimateRegisters"/>), in registers per thread.
/// </summary>
/// <param name="Accumulators">One per output of the thread tile.</param>
/// <param name="Fixed">Thread and block coordinates, loop counters, stage indices (<see cref="OperatorAnalysis.BaseRegisters"/>).</param>
/// <param name="CopyCoordinates">The staged reads' chunk coordinates and bounds, and, under a single-buffered register prefetch, each chunk's hoisted shared-memory address.</param>
/// <param name="Operands">The operands of the reduce points in flight, with each unstaged read's address and checked coordinates.</param>
/// <param name="CopyValues">The values the staged reads' copies have in flight.</param>
/// <param name="WindowChecks">The predicates of a padded window's checked coordinates in one unrolled body.</param>
/// <param name="CopyHeld">Whether the copy's values stay live through the multiply-adds (a register prefetch over more than one stage); otherwise the copy and the multiply-adds take turns.</param>
public readonly record struct RegisterTerms(long Accumulators, long Fixed, long CopyCoordinates, long Operands, long CopyValues, long WindowChecks, bool CopyHeld)
{
    /// <summary>The estimate: every term, with the operands and the copy's values added when the copy is held and the larger of them otherwise.</summary>
    public int Total => (int)Math.Min(int.MaxValue,
        Accumulators + Fixed + CopyCoordinates + WindowChecks + (CopyHeld ? Operands + CopyValues : Math.Max(Operands, CopyValues)));
}
