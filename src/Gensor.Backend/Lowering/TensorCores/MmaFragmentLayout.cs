namespace Gensor.Backend.Lowering.TensorCores;

/// <summary>
/// Which element of the m16n8k16 MMA's tiles each lane holds in each register,
/// as the PTX ISA specifies for <c>mma.m16n8k16</c> with 16-bit A and B and
/// float32 C/D ("Matrix fragments for mma.m16n8k16"). Lane l has group
/// g = l / 4 and thread-in-group t = l % 4. A (16×16, row-major) takes four
/// 32-bit registers of two halves each, B (16×8, column-major) two, C and D
/// (16×8) four floats. The TF32 <c>mma.m16n8k8</c> has the same register
/// positions with one float a register (A 16×8, B 8×8). The generated kernels load fragments and, on back ends
/// without tensor cores, emulate the MMA by this layout.
/// </summary>
public static class MmaFragmentLayout
{
    /// <summary>The (row, k) of A that half <paramref name="half"/> of register <paramref name="register"/> (0..3) of <paramref name="lane"/> holds.</summary>
    public static (int Row, int K) A(int lane, int register, int half) =>
        ((lane / 4) + (8 * (register & 1)), (2 * (lane % 4)) + half + (8 * (register >> 1)));

    /// <summary>The (k, column) of B that half <paramref name="half"/> of register <paramref name="register"/> (0..1) of <paramref name="lane"/> holds.</summary>
    public static (int K, int Column) B(int lane, int register, int half) =>
        ((2 * (lane % 4)) + half + (8 * register), lane / 4);

    /// <summary>The (row, column) of C and D that register <paramref name="register"/> (0..3) of <paramref name="lane"/> holds.</summary>
    public static (int Row, int Column) C(int lane, int register) =>
        ((lane / 4) + (8 * (register >> 1)), (2 * (lane % 4)) + (register & 1));

    /// <summary>The (row, k) of A that register <paramref name="register"/> (0..3) of <paramref name="lane"/> holds in the TF32 m16n8k8 MMA (one value a register).</summary>
    public static (int Row, int K) ATf32(int lane, int register) =>
        ((lane / 4) + (8 * (register & 1)), (lane % 4) + (4 * (register >> 1)));

    /// <summary>The (k, column) of B that register <paramref name="register"/> (0..1) of <paramref name="lane"/> holds in the TF32 m16n8k8 MMA.</summary>
    public static (int K, int Column) BTf32(int lane, int register) =>
        ((lane % 4) + (4 * register), lane / 4);

    /// <summary>The lane, register and half that hold A's element (<paramref name="row"/>, <paramref name="k"/>): the inverse of <see cref="A"/>.</summary>
    public static (int Lane, int Register, int Half) HolderOfA(int row, int k) =>
        (((row % 8) * 4) + ((k % 8) / 2), (row / 8) + (2 * (k / 8)), k % 2);

    /// <summary>The lane, register and half that hold B's element (<paramref name="k"/>, <paramref name="column"/>): the inverse of <see cref="B"/>.</summary>
    public static (int Lane, int Register, int Half) HolderOfB(int k, int column) =>
        ((column * 4) + ((k % 8) / 2), k / 8, k % 2);
}
