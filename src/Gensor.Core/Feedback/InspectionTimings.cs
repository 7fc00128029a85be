namespace Gensor.Feedback;

/// <summary>
/// Milliseconds spent reading a kernel back: producing its PTX (Roslyn and
/// ILGPU; 0 when the PTX was given), assembling it with ptxas, disassembling the cubin.
/// </summary>
public sealed record InspectionTimings(double PtxMs, double AssembleMs, double DisassembleMs)
{
    public double TotalMs => PtxMs + AssembleMs + DisassembleMs;
}
