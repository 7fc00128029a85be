using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Tuning.Calibration;

/// <summary>One measured, verified kernel that calibration fits the model to.</summary>
/// <param name="Name">The operator's name when it was tuned (for reports).</param>
/// <param name="OpHash">The operator's canonical hash: samples of one operator are ranked together.</param>
/// <param name="Operator">The operator, rebuilt from the record's canonical text.</param>
/// <param name="Schedule">The schedule, in the rebuilt operator's (canonical) names.</param>
/// <param name="MeasuredMs">The measured median time.</param>
/// <param name="Registers">The timed kernel's registers per thread by ptxas, when the record carries them (<see cref="Records.TuningRecord.Registers"/>).</param>
public sealed record CalibrationSample(string Name, string OpHash, Operator Operator, Schedule Schedule, double MeasuredMs, int? Registers = null)
{
    /// <summary>The model's estimate of the sample under <paramref name="profile"/>: with the timed kernel's registers where known, else the model's register estimate.</summary>
    public double EstimateMs(HardwareProfile profile) => Registers is { } registers
        ? CostModel.EstimateMs(Operator, Schedule, profile, registers)
        : CostModel.EstimateMs(Operator, Schedule, profile);
}
