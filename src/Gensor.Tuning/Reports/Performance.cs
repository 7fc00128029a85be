using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Tuning.Reports;

/// <summary>
/// What a measured time means on its device: the operator's floating-point
/// work and compulsory memory traffic per second, and how close that is to
/// the profile's peak. An operator whose arithmetic intensity (flops per
/// compulsory byte) is below the profile's ridge point (peak GFLOP/s over
/// DRAM GB/s) is memory bound: it is judged by GB/s against the DRAM bandwidth;
/// otherwise by GFLOP/s against the FP32 peak.
/// </summary>
/// <param name="Flops">Floating-point operations of one run: every arithmetic operation of the body, plus one for the reduction, at each point of the iteration space; the epilogue's once per output element.</param>
/// <param name="Bytes">Compulsory DRAM traffic of one run: every tensor read or written once, at its element type's size (4 bytes for float32, 2 for f16 and bf16).</param>
/// <param name="Ms">The measured time.</param>
/// <param name="Profile">The profile of the device that ran it, whose peaks the percentage is of.</param>
public sealed record Performance(double Flops, double Bytes, double Ms, HardwareProfile Profile)
{
    public double Gflops => Flops / (Ms * 1e6);

    public double GBs => Bytes / (Ms * 1e6);

    /// <summary>Flops per compulsory byte.</summary>
    public double Intensity => Flops / Bytes;

    public bool MemoryBound => Intensity < Profile.PeakGflops / Profile.DramBandwidthGBs;

    /// <summary>Percent of the bound that limits it: DRAM bandwidth when memory bound, else FP32 peak.</summary>
    public double PercentOfPeak => MemoryBound ? 100 * GBs / Profile.DramBandwidthGBs : 100 * Gflops / Profile.PeakGflops;

    /// <summary>The performance of <paramref name="op"/> run in <paramref name="ms"/> on a device of <paramref name="profile"/>.</summary>
    public static Performance Of(Operator op, double ms, HardwareProfile profile) => new(Work(op), Traffic(op), ms, profile);

    /// <summary>Floating-point operations of one run of <paramref name="op"/> (see <see cref="Flops"/>).</summary>
    public static double Work(Operator op)
    {
        var perPoint = Operations(op.Body) + (op.Reduction == Reduction.None ? 0 : 1);
        var perOutput = op.Epilogue is null ? 0 : Operations(op.Epilogue);
        return (double)op.IterationPoints * perPoint + (double)op.Output.ElementCount * perOutput;
    }

    /// <summary>Compulsory bytes of one run of <paramref name="op"/> (see <see cref="Bytes"/>).</summary>
    public static double Traffic(Operator op) =>
        new[] { op.Output }.Concat(op.Inputs).Sum(tensor => (double)tensor.Type.Bytes() * tensor.ElementCount);

    /// <summary>"0.0952 GFLOP/s, 0.10% of cpu's 100 GFLOP/s" or "812 GB/s, 24.2% of h100's 3350 GB/s (memory bound)".</summary>
    public override string ToString() => MemoryBound
        ? $"{NumberText.Significant(GBs)} GB/s, {NumberText.Significant(PercentOfPeak)}% of {Profile.Name}'s {NumberText.Significant(Profile.DramBandwidthGBs)} GB/s (memory bound)"
        : $"{NumberText.Significant(Gflops)} GFLOP/s, {NumberText.Significant(PercentOfPeak)}% of {Profile.Name}'s {NumberText.Significant(Profile.PeakGflops)} GFLOP/s peak";

    private static int Operations(Expr expr) => expr switch
    {
        Unary unary => 1 + Operations(unary.Operand),
        Binary binary => 1 + Operations(binary.Left) + Operations(binary.Right),
        _ => 0,
    };
}
