using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Feedback;

/// <summary>
/// Compiler feedback for construction: lowers schedules of an operator to
/// kernels, compiles them for a profile's architecture with the vendor's
/// assembler and reads back what each really uses (registers, spills, shared
/// memory, occupancy, instruction mix). A policy can call it on its top
/// candidates to drop those that spill or whose occupancy the model misjudged.
/// Construction only sees this interface; the back end implements it with
/// NVIDIA's ptxas and cuobjdump.
/// </summary>
public interface ICompilerFeedback
{
    /// <summary>
    /// One result per schedule, in the order given. A schedule that cannot be
    /// compiled gets a result with an error, not an exception.
    /// </summary>
    IReadOnlyList<KernelFeedback> Inspect(Operator op, IReadOnlyList<Schedule> schedules, HardwareProfile profile);
}
