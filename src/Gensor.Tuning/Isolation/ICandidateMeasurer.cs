using Gensor.Backend.Runtime;
using Gensor.Etir;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// Compiles, verifies and times candidate schedules of one operator. The
/// tuner does not care where: in this process, or in a worker process that a
/// faulting or hanging kernel can take down without taking tuning with it.
/// </summary>
public interface ICandidateMeasurer
{
    /// <summary>
    /// Measures <paramref name="schedules"/> in order, calling <paramref name="onResult"/>
    /// with each one's index as soon as it is known. Returns the milliseconds spent
    /// compiling C# (Roslyn), which the report counts apart from the measurements.
    /// </summary>
    double MeasureAll(Operator op, IReadOnlyList<Schedule> schedules, int seed, Action<int, Measurement> onResult);
}
