using Gensor.Feedback;

namespace Gensor.Construction.Feedback;

/// <summary>
/// What compiling the leading candidates told construction: each kernel's
/// feedback (registers, spills, or why it has none), how many were dropped for
/// spilling, and what the check cost in wall time.
/// </summary>
/// <param name="Kernels">One entry per candidate compiled, in the model's order before the check.</param>
/// <param name="Dropped">Candidates left out because ptxas spilled their registers to local memory.</param>
/// <param name="Milliseconds">Wall time of lowering, compiling and assembling them.</param>
public sealed record CompilerCheck(IReadOnlyList<KernelFeedback> Kernels, int Dropped, double Milliseconds)
{
    /// <summary>
    /// Candidates left out because ptxas gave them more registers than the register file holds
    /// for their block, or than leave the occupancy goal (<see cref="Legality.CheckRegisters"/>).
    /// </summary>
    public int DroppedOverLimit { get; init; }

    /// <summary>How many candidates the compiler read back (those that compiled).</summary>
    public int Compiled => Kernels.Count(k => k.Resources is not null);

    /// <summary>The tool that compiled them, as its identity reads (null when nothing compiled).</summary>
    public string? Tool => Kernels.Select(k => k.Resources?.Tools).FirstOrDefault(t => t is not null) is { } tool
        ? $"ptxas {tool.Release}"
        : null;
}
