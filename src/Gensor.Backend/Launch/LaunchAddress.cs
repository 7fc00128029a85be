namespace Gensor.Backend.Launch;

/// <summary>
/// A kernel argument after the tensors: the device address of tensor <see cref="Tensor"/>'s buffer (its first
/// element) as a 64-bit integer. Pipelined tensor-core kernels of 16-bit operands and kernels with asynchronous copies
/// (<c>async=1</c>) copy global memory into shared memory with <c>cp.async</c>, whose operand is an address, and ILGPU
/// 1.5.3 gives a kernel no address of a view's element (its address methods are host-only), so the caller passes it. On CUDA it is the pointer ILGPU's
/// <c>ArrayViewExtensions.LoadEffectiveAddressAsPtr</c> gives on the host; other accelerators never read it.
/// </summary>
/// <param name="Tensor">The tensor's name in the operator.</param>
/// <param name="Parameter">The C# parameter, <c>g_address</c> and the tensor's argument index (no tensor parameter or local is named so).</param>
/// <param name="TensorIndex">The tensor's index among the contract's tensors.</param>
public sealed record LaunchAddress(string Tensor, string Parameter, int TensorIndex)
{
    /// <summary>The address argument of tensor <paramref name="tensor"/>, argument <paramref name="index"/> of the kernel.</summary>
    public static LaunchAddress Of(LaunchTensor tensor, int index) => new(tensor.Name, $"g_address{index}", index);
}
