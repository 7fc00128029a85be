using Gensor.Hardware;

namespace Gensor.Feedback;

/// <summary>
/// What NVIDIA's own tools say one compiled kernel uses: ptxas's report
/// (registers, spills, stack, static shared memory), the static SASS
/// instruction mix, and the occupancy these give on a hardware profile.
/// Figures come from the tools, never from a model.
/// </summary>
/// <param name="Architecture">The architecture ptxas compiled for (<c>sm_90</c>).</param>
/// <param name="Function">The kernel's entry name in the cubin.</param>
/// <param name="Registers">Registers per thread.</param>
/// <param name="StackFrameBytes">Local memory per thread for the stack frame.</param>
/// <param name="SpillStoreBytes">Bytes a thread's spill stores write to local memory.</param>
/// <param name="SpillLoadBytes">Bytes a thread's spill loads read back.</param>
/// <param name="StaticSharedMemoryBytes">Shared memory per block that the kernel declares.</param>
/// <param name="Instructions">The static SASS instruction mix; null when the cubin was not disassembled (construction's compiler check needs only ptxas's figures).</param>
/// <param name="Occupancy">Resident blocks and waves on the profile; null when the profile is not an NVIDIA GPU's.</param>
/// <param name="Tools">Which tools produced the figures.</param>
/// <param name="Timings">What producing them cost.</param>
public sealed record KernelResources(
    string Architecture,
    string Function,
    int Registers,
    int StackFrameBytes,
    int SpillStoreBytes,
    int SpillLoadBytes,
    int StaticSharedMemoryBytes,
    InstructionMix? Instructions,
    KernelOccupancy? Occupancy,
    ToolIdentity Tools,
    InspectionTimings Timings)
{
    /// <summary>True when ptxas had to spill registers to local memory.</summary>
    public bool Spills => SpillStoreBytes > 0 || SpillLoadBytes > 0;
}
