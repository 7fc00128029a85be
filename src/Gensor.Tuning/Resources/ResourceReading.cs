using Gensor.Backend.Runtime;
using Gensor.Feedback;

namespace Gensor.Tuning.Resources;

/// <summary>
/// The resources block of a report: the figures NVIDIA's tools give for the
/// kernel on the target profile, or the reason there are none (the profile is
/// not a CUDA GPU's, the tools are not installed, ptxas refused the kernel);
/// and, on a real CUDA device, what its driver says about the same kernel.
/// </summary>
public sealed record ResourceReading(KernelResources? Resources, string? Reason, DriverKernelAttributes? Driver = null);
