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
    /// <summary>Checks that a given schedule fits the operator and the profile.</summary>
    /// <exception cref="GensorException">It does not (bad input, naming <c>--schedule</c>).</exception>
    public static void CheckLegal(Operator op, Schedule schedule, HardwareProfile profile)
    {
        if (Legality.Check(op, schedule, profile) is { } reason)
        {
            throw GensorException.BadInput($"--schedule '{schedule}': {reason}");
        }
    }

    /// <exception cref="GensorException">The schedule does not fit the operator or the profile (bad input).</exception>
    public static ConstructionResult Construct(Operator op, Schedule schedule, HardwareProfile profile, ICompilerFeedback? compiler)
    {
        CheckLegal(op, schedule, profile);
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
