using Gensor.Feedback;

namespace Gensor.Backend.Inspection;

/// <summary>
/// One kernel read back through NVIDIA's tools: its resources, the cubin ptxas
/// wrote, the SASS listing (headed by a note of how it was made) and the PTX as assembled.
/// </summary>
public sealed record KernelInspection(KernelResources Resources, byte[] Cubin, string Sass, string AssembledPtx);
