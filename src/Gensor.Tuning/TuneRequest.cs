using Gensor.Construction.Policies;
using Gensor.Feedback;
using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Tuning;

/// <summary>
/// What to tune: an operator, the policy that constructs candidates for the
/// <paramref name="Target"/> profile, how many of them to measure, and
/// optionally one fixed schedule to run instead of constructing.
/// </summary>
/// <param name="Operator">The operator.</param>
/// <param name="Policy">The construction policy.</param>
/// <param name="Target">The profile construction optimizes for.</param>
/// <param name="DeviceProfile">The profile of the device that runs the kernels: candidates beyond its limits are not run.</param>
/// <param name="TopK">How many constructed candidates to compile, verify and measure.</param>
/// <param name="Seed">Seeds both randomized construction and the verification inputs.</param>
/// <param name="FixedSchedule">When set, only this schedule is run.</param>
/// <param name="Known">
/// Results already measured on this device (from a records file): a candidate
/// found here is reported with this result instead of being compiled and run again.
/// </param>
/// <param name="Compiler">
/// When set, the policy's leading candidates go through this compiler before
/// they are measured or emitted: spilling kernels are dropped, the rest ranked
/// with their real registers (<see cref="Gensor.Construction.Feedback.CompilerCheckedPolicy"/>).
/// </param>
/// <param name="AllowTf32">
/// Whether a fixed or recorded schedule may run on TF32 tensor cores (<c>--allow-tf32</c>); the
/// policy carries its own copy of the choice for the schedules it constructs.
/// </param>
public sealed record TuneRequest(
    Operator Operator,
    ISchedulePolicy Policy,
    HardwareProfile Target,
    HardwareProfile DeviceProfile,
    int TopK = 10,
    int Seed = 0,
    Schedule? FixedSchedule = null,
    IReadOnlyDictionary<Schedule, CandidateResult>? Known = null,
    ICompilerFeedback? Compiler = null,
    bool AllowTf32 = false);
