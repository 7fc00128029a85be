using Gensor.Etir;

namespace Gensor.Feedback;

/// <summary>
/// What compiling one schedule gave: its resources, or why there are none
/// (it did not compile, ptxas refused it), and the wall time it took.
/// </summary>
public sealed record KernelFeedback(Schedule Schedule, KernelResources? Resources, string? Error, double Milliseconds);
