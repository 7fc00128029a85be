using Gensor.Construction.Policies;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Tuning.Batch;

/// <summary>How a batch tunes each operator: the options of <c>gensor tune</c>, plus whether to tune the baselines.</summary>
/// <param name="Policy">The construction policy.</param>
/// <param name="Target">The profile construction optimizes for.</param>
/// <param name="DeviceProfile">The profile of the device that runs the kernels.</param>
/// <param name="TopK">Candidates measured per operator and policy.</param>
/// <param name="Seed">Seeds construction and verification inputs.</param>
/// <param name="Baselines">Also tune with the naive and roller policies, for the speedups.</param>
/// <param name="Force">Measure again what the records already hold.</param>
/// <param name="Compiler">When set, every policy's leading candidates (baselines' too) go through this compiler first.</param>
public sealed record BatchOptions(
    ISchedulePolicy Policy,
    HardwareProfile Target,
    HardwareProfile DeviceProfile,
    int TopK,
    int Seed,
    bool Baselines,
    bool Force,
    ICompilerFeedback? Compiler = null);
