namespace Gensor.Backend.Inspection;

/// <summary>What <c>ptxas -v</c> reports for one entry function.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Architecture">The architecture it was compiled for (<c>sm_90</c>).</param>
/// <param name="Registers">Registers per thread.</param>
/// <param name="StackFrameBytes">Stack frame per thread, in local memory.</param>
/// <param name="SpillStoreBytes">Bytes of spill stores per thread.</param>
/// <param name="SpillLoadBytes">Bytes of spill loads per thread.</param>
/// <param name="SharedMemoryBytes">Static shared memory per block.</param>
public sealed record PtxasFunction(
    string Name,
    string Architecture,
    int Registers,
    int StackFrameBytes,
    int SpillStoreBytes,
    int SpillLoadBytes,
    int SharedMemoryBytes);
