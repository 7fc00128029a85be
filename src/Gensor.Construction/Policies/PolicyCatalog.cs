using Gensor.Diagnostics;

namespace Gensor.Construction.Policies;

/// <summary>The construction policies by the name users give to <c>--policy</c>.</summary>
public static class PolicyCatalog
{
    /// <summary>Names of all policies, in the order <c>gensor policies</c> lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gensor", "roller", "exhaustive", "naive"];

    /// <summary>
    /// The policy named <paramref name="name"/> (case-insensitive); unknown names are bad input.
    /// All but the naive baseline also consider tensor-core schedules (<see cref="TensorCoreChoice"/>);
    /// with <paramref name="allowTf32"/>, TF32 ones for float32 matrix products too.
    /// </summary>
    public static ISchedulePolicy Get(string name, bool allowTf32 = false) => name.ToLowerInvariant() switch
    {
        "gensor" => new TensorCoreChoice(new GensorPolicy(), allowTf32),
        "roller" => new TensorCoreChoice(new RollerPolicy(), allowTf32),
        "exhaustive" => new TensorCoreChoice(new ExhaustivePolicy(), allowTf32),
        "naive" => new NaivePolicy(),
        _ => throw GensorException.BadInput($"unknown policy '{name}' (known: {string.Join(", ", Names)})"),
    };
}
