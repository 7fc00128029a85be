using Gensor.Construction.Feedback;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Construction.Policies;

/// <summary>
/// A way of choosing schedules for an operator on a profile. The policies
/// (naive, roller, gensor, exhaustive) are interchangeable strategies over the
/// same primitives, legality rules and cost model.
/// </summary>
public interface ISchedulePolicy
{
    /// <summary>The name users pass to <c>--policy</c>.</summary>
    string Name { get; }

    /// <summary>Constructs candidates, best first by the cost model, all legal on <paramref name="profile"/>.</summary>
    ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options);
}

/// <summary>How many candidates to return and the seed for randomized policies.</summary>
public sealed record ConstructionOptions(int TopK = 10, int Seed = 0);

/// <summary>
/// A schedule with the cost model's estimate of its time, and what the vendor's
/// compiler read back from its kernel when construction asked it (the estimate
/// then uses the real register count).
/// </summary>
public sealed record RankedSchedule(Schedule Schedule, double EstimatedMs, KernelResources? Compiled = null);

/// <summary>
/// What a policy produced: candidates best first, how many states it looked at,
/// how long it took, and, when the candidates went through the compiler, what
/// that check found and cost (its time is not part of <paramref name="ConstructMs"/>).
/// </summary>
public sealed record ConstructionResult(
    string Policy,
    IReadOnlyList<RankedSchedule> Candidates,
    int StatesVisited,
    double ConstructMs,
    CompilerCheck? Check = null);
