namespace Gensor.Hardware;

/// <summary>
/// The profiles shipped with Gensor, from vendor spec sheets (method.md's table)
/// and the CUDA programming guide's per-compute-capability limits. Shared by
/// all: warp 32, 64K 32-bit registers per SM, 255 registers per thread, 1024
/// threads per block, 32 banks of 4 bytes. <c>TransactionBytes</c> is the
/// 32-byte sector: the unit L2 and DRAM move (a 128-byte line is four of them),
/// and therefore the unit of wasted traffic for uncoalesced loads.
/// Resident threads and blocks per SM follow the CUDA guide: sm_70/80/90 have
/// 2048 threads and 32 blocks; sm_86 and sm_87 have 1536 threads and 16 blocks;
/// sm_89 has 1536 threads and 24 blocks. Clocks are the boost clocks of the
/// spec sheets (V100 SXM2 1530, A100 SXM4 1410, H100 SXM5 1980, RTX 3090 1695,
/// RTX 4090 2520, Jetson AGX Orin 1300 MHz); with the FP32 peak they give 64
/// FP32 lanes per SM on sm_70/80 and 128 on sm_86+.
/// <para>
/// Tensor-core peaks are dense (no sparsity) with float32 accumulation, from
/// the vendor documents: A100 312 TFLOPS f16 and bf16 (NVIDIA A100 Tensor Core
/// GPU Architecture whitepaper, 2020); H100 SXM5 989.4 (NVIDIA H100 Tensor Core
/// GPU datasheet; reached only with wgmma, which ILGPU cannot emit: mma.sync
/// reaches about two thirds of it); RTX 3090 71 and RTX 4090 165.2 (GeForce
/// Ampere and Ada whitepapers: GeForce cards run f32-accumulating MMA at half
/// their f16-accumulating rate); Jetson AGX Orin 42.5 (half of the 85 sparse
/// f16 TFLOPS of its datasheet). TF32 runs at half the f16 rate on all of
/// them (A100 156, H100 SXM5 494.7, RTX 3090 35.6, RTX 4090 82.6 from the same
/// documents; Orin's 21.25 is derived that way). V100's tensor cores have no m16n8k16 MMA (it
/// is sm_80+), so its figure is 0. The CPU accelerator emulates the MMA with
/// scalar code at its scalar rate.
/// </para>
/// </summary>
public static class BuiltInProfiles
{
    private const int Kb = 1024;

    public static HardwareProfile V100 { get; } = Gpu("v100", "sm_70", 80, 2048, 32, 96 * Kb, 96 * Kb, 6L << 20, 900, 15_700) with { ClockMhz = 1530 };

    public static HardwareProfile A100 { get; } = Gpu("a100", "sm_80", 108, 2048, 32, 163 * Kb, 164 * Kb, 40L << 20, 1_555, 19_500) with { ClockMhz = 1410, TensorGflopsF16 = 312_000, TensorGflopsBF16 = 312_000, TensorGflopsTf32 = 156_000 };

    public static HardwareProfile H100 { get; } = Gpu("h100", "sm_90", 132, 2048, 32, 227 * Kb, 228 * Kb, 50L << 20, 3_350, 67_000) with { ClockMhz = 1980, TensorGflopsF16 = 989_400, TensorGflopsBF16 = 989_400, TensorGflopsTf32 = 494_700 };

    public static HardwareProfile Rtx3090 { get; } = Gpu("rtx3090", "sm_86", 82, 1536, 16, 99 * Kb, 100 * Kb, 6L << 20, 936, 35_600) with { ClockMhz = 1695, TensorGflopsF16 = 71_000, TensorGflopsBF16 = 71_000, TensorGflopsTf32 = 35_600 };

    public static HardwareProfile Rtx4090 { get; } = Gpu("rtx4090", "sm_89", 128, 1536, 24, 99 * Kb, 100 * Kb, 72L << 20, 1_008, 82_600) with { ClockMhz = 2520, TensorGflopsF16 = 165_200, TensorGflopsBF16 = 165_200, TensorGflopsTf32 = 82_600 };

    public static HardwareProfile Orin { get; } = Gpu("orin", "sm_87", 16, 1536, 16, 163 * Kb, 164 * Kb, 4L << 20, 204.8, 5_300) with { ClockMhz = 1300, TensorGflopsF16 = 42_500, TensorGflopsBF16 = 42_500, TensorGflopsTf32 = 21_250 };

    /// <summary>
    /// ILGPU's CPU accelerator as the back end creates it (<c>new CPUDevice(32, 8, 2)</c>:
    /// warp 32, 8 warps per group, 2 multiprocessors). The bandwidth, peak and
    /// cache figures are rough guesses for a simulator that runs every lane as
    /// a thread; its times say nothing about a GPU.
    /// </summary>
    public static HardwareProfile Cpu { get; } = new HardwareProfile(
        "cpu", "cpu", 2, 32, 256, 256, 1, 65_536, 255, 64 * Kb, 64 * Kb, 1L << 20, 5, 2, 32, 32)
    {
        Simulated = true,
        L2BandwidthGBs = 15,
        OccupancyGoalThreads = 0,
        MinThreadsPerBlock = 0,
        TensorGflopsF16 = 2,
        TensorGflopsBF16 = 2,
        TensorGflopsTf32 = 2,
        ThreadSyncNs = 100_000,
        // ILGPU's compile of a kernel grows faster than its length: GEMM kernels of 512 unrolled
        // multiply-adds per stage took 2-3.6 s each to load, those of 128 0.2-0.8 s (load average 20-40).
        MaxUnrolledUpdates = 128,
    };

    /// <summary>All built-in profiles, GPUs by architecture, then the CPU accelerator.</summary>
    public static IReadOnlyList<HardwareProfile> All { get; } = [V100, A100, Rtx3090, Orin, Rtx4090, H100, Cpu];

    private static HardwareProfile Gpu(
        string name, string architecture, int sms, int threadsPerSm, int blocksPerSm,
        int sharedPerBlock, int sharedPerSm, long l2, double bandwidth, double peak) =>
        new(name, architecture, sms, 32, 1024, threadsPerSm, blocksPerSm, 65_536, 255,
            sharedPerBlock, sharedPerSm, l2, bandwidth, peak, 32, 32)
        {
            // Rarely published; about 3x DRAM on V100..H100 by microbenchmarks.
            L2BandwidthGBs = 3 * bandwidth,
        };
}
