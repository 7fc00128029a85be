namespace Gensor.Feedback;

/// <summary>
/// The assembler that compiled a kernel: its path, its CUDA release, and the PTX ISA
/// version the PTX was lowered to for it (null when the PTX was assembled as written).
/// </summary>
public sealed record ToolIdentity(string PtxasPath, string Release, string? PtxVersionLoweredTo);
