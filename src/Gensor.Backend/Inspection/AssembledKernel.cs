namespace Gensor.Backend.Inspection;

/// <summary>
/// A kernel ptxas assembled: the cubin, ptxas's report of its entry, the PTX as
/// given to ptxas, the ISA version it was lowered to (null when not), and ptxas's wall time.
/// </summary>
public sealed record AssembledKernel(byte[] Cubin, PtxasFunction Report, string Ptx, Version? PtxVersionLoweredTo, double Milliseconds);
