using System.Diagnostics;
using Gensor.Construction.Cost;
using Gensor.Construction.Feedback;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Construction.Policies;

/// <summary>
/// A schedule the user chose, as a construction of one candidate (policy "fixed"): checked
/// for legality, estimated by the cost model and, with a compiler, compiled so that the
/// estimate uses the registers ptxas gives it. Unlike a policy's candidates, a given schedule
/// is never dropped: a kernel that spills or exceeds the register limits is still what the
/// user asked about, and its compiled resources say so.
/// </summary>
public static class GivenSchedule
{
    /// <summary>
    /// Checks that a given schedule fits the operator and the profile, and that it runs on TF32
    /// tensor cores only when <paramref name="allowTf32"/>: TF32 rounds float32 inputs to 10
    /// significand bits, so a given schedule needs the same opt-in as a constructed or recorded one.
    /// </summary>
    /// <exception cref="GensorException">It does not (bad input, naming <c>--schedule</c>).</exception>
    public static void CheckLegal(Operator op, Schedule schedule, HardwareProfile profile, bool allowTf32)
    {
        if (Legality.Check(op, schedule, profile) is { } reason)
        {
            throw GensorException.BadInput($"--schedule '{schedule}': {reason}");
        }
        if (schedule.Mma == MmaShape.M16N8K8Tf32 && !allowTf32)
        {
            throw GensorException.BadInput($"--schedule '{schedule}': the TF32 MMA rounds float32 inputs to 10 significand bits; --allow-tf32 allows it");
        }
    }

    /// <exception cref="GensorException">The schedule does not fit the operator or the profile, or is TF32 without <paramref name="allowTf32"/> (bad input).</exception>
    public static ConstructionResult Construct(Operator op, Schedule schedule, HardwareProfile profile, ICompilerFeedback? compiler, bool allowTf32)
    {
        CheckLegal(op, schedule, profile, allowTf32);
        if (compiler is null)
        {
            return new ConstructionResult("fixed", [new RankedSchedule(schedule, CostModel.EstimateMs(op, schedule, profile))], 1, 0);
        }
        var clock = Stopwatch.StartNew();
        var feedback = compiler.Inspect(op, [schedule], profile);
        var resources = feedback[0].Resources;
        var estimate = resources is null
            ? CostModel.EstimateMs(op, schedule, profile)
            : CostModel.EstimateMs(op, schedule, profile, resources.Registers);
        return new ConstructionResult("fixed", [new RankedSchedule(schedule, estimate, resources)], 1, 0,
            new CompilerCheck(feedback, 0, clock.Elapsed.TotalMilliseconds));
    }
}
