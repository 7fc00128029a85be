namespace Gensor.Hardware;

/// <summary>
/// What construction needs to know about a GPU. A profile is data: a wrong
/// figure is fixed here or in a profile file, never by an <c>if</c> in the code.
/// Sizes are in bytes, bandwidth in GB/s, peak in GFLOP/s.
/// </summary>
public sealed record HardwareProfile(
    string Name,
    string Architecture,
    int Multiprocessors,
    int WarpSize,
    int MaxThreadsPerBlock,
    int MaxThreadsPerMultiprocessor,
    int MaxBlocksPerMultiprocessor,
    int RegistersPerMultiprocessor,
    int MaxRegistersPerThread,
    int SharedMemoryPerBlock,
    int SharedMemoryPerMultiprocessor,
    long L2Bytes,
    double DramBandwidthGBs,
    double PeakGflops,
    int SharedMemoryBanks,
    int TransactionBytes)
{
    /// <summary>Fields that were not read from a device but filled from a built-in profile.</summary>
    public IReadOnlyList<string> EstimatedFields { get; init; } = [];

    /// <summary>True for ILGPU's CPU accelerator, whose times say nothing about a GPU.</summary>
    public bool Simulated { get; init; }

    // The cost model's constants. Spec-sheet figures where one exists, else typical
    // measured values; `gensor calibrate` fits them to measured records.

    /// <summary>Boost clock in MHz: with the peak rate it gives the FP32 lanes per SM and the issue rate.</summary>
    public double ClockMhz { get; init; } = 1500;

    /// <summary>Bandwidth between L2 and the SMs, GB/s (about 3x DRAM on V100..H100; rarely published).</summary>
    public double L2BandwidthGBs { get; init; }

    /// <summary>Latency of a global load that misses L1, in ns (about 500-600 on V100..H100).</summary>
    public double MemoryLatencyNs { get; init; } = 550;

    /// <summary>Fraction of the DRAM bandwidth a streaming kernel reaches (about 0.8-0.9).</summary>
    public double DramEfficiency { get; init; } = 0.85;

    /// <summary>Fraction of the peak instruction issue rate a well-occupied kernel reaches.</summary>
    public double IssueEfficiency { get; init; } = 0.9;

    /// <summary>
    /// What each bound that does not limit a kernel still adds to its time, as a share of itself
    /// (0..1; 0: the largest bound alone). A GPU overlaps issue, L2 and DRAM traffic well, not
    /// perfectly, so of two kernels at the same DRAM bound the one that also keeps its SMs busy for
    /// 95% of that time is the slower. The default is not fitted (no GPU measurements yet) and kept
    /// small, so it reorders only near ties; it decides the exact ones, which are common on
    /// memory-bound operators: every leading candidate of resnet50 batch 32's s1_reduce_first for
    /// h100 estimated 0.02105 ms under the largest bound alone, and the text of the schedule chose.
    /// <c>gensor calibrate</c> fits it from a larger start (at 0.01 it moves the estimates too little for
    /// calibration to take it up).
    /// </summary>
    public double OverlapLoss { get; init; } = 0.01;

    /// <summary>What a block barrier costs the threads that wait at it, in ns.</summary>
    public double BarrierNs { get; init; } = 20;

    /// <summary>Fixed cost of a kernel launch, in microseconds.</summary>
    public double LaunchMicroseconds { get; init; } = 3;

    /// <summary>
    /// What each thread taking part adds to a synchronisation, in ns: to every block barrier,
    /// to each warp shuffle (two warp barriers), and to the end of every block. 0 on GPUs,
    /// whose barriers are hardware. ILGPU's CPU accelerator runs each GPU thread as an OS
    /// thread and synchronises them with OS primitives, so there every thread must be woken
    /// and scheduled: this is what makes barriers and large blocks costly on the simulator.
    /// </summary>
    public double ThreadSyncNs { get; init; }

    /// <summary>
    /// The most multiply-adds per thread one unrolled stage may hold; 0: only the lowering's own
    /// limit (every GPU). ILGPU's CPU accelerator compiles each kernel at run time (Roslyn, ILGPU,
    /// then the .NET JIT): stages of thousands of straight-line updates make kernels of over
    /// 100 KB of C# that take seconds each to compile, and on this accelerator they ran slower
    /// than half the unrolling (bmm: 2048 updates 54-108 ms, 1024 updates 33-42 ms). The CPU
    /// profile's 128 keeps every sample's tune (10 kernels) to a few seconds of compilation.
    /// </summary>
    public int MaxUnrolledUpdates { get; init; }

    /// <summary>
    /// Threads per SM a schedule must leave room for (registers, shared memory,
    /// threads per block): fewer resident threads cannot hide the latencies.
    /// 0 means no minimum (the CPU accelerator).
    /// </summary>
    public int OccupancyGoalThreads { get; init; } = 256;

    /// <summary>
    /// The fewest threads a block may have, unless the whole grid is one smaller block. NVIDIA's
    /// CUDA C++ Best Practices Guide (thread and block heuristics) asks for at least 64, and that
    /// only with several blocks resident per multiprocessor: a one-warp block stages its shared
    /// tiles for one warp alone and leaves the multiprocessor's block slots, not its registers,
    /// to bound how many threads it holds. 0: no minimum (the CPU accelerator, whose block threads are OS threads).
    /// </summary>
    public int MinThreadsPerBlock { get; init; } = 64;

    /// <summary>
    /// Whether kernels may exchange values between the lanes of a warp (shuffles), which
    /// reduce threads combine their results with. NVIDIA GPUs and ILGPU's CPU accelerator
    /// can; ILGPU's OpenCL back end (1.5) cannot.
    /// </summary>
    public bool WarpShuffles { get; init; } = true;

    /// <summary>
    /// Whether the back end may write <c>cp.async</c> where the GPU has it. ILGPU's OpenCL back end cannot: its
    /// kernels copy plainly and never read the addresses an asynchronous copy is given, so an OpenCL kernel with
    /// <c>async=1</c> was credited a copy it does not make and listed arguments it does not have (found by fuzzing).
    /// </summary>
    public bool AsyncCopyInstructions { get; init; } = true;

    /// <summary>
    /// Whether the GPU copies global memory into shared memory asynchronously (<c>cp.async</c>: NVIDIA sm_80
    /// and later), which a schedule's asynchronous copies (<c>async=1</c>) are, and the back end writes it.
    /// </summary>
    public bool AsyncCopies => AsyncCopyInstructions && AsyncCopyArchitecture;

    /// <summary>Whether the architecture has <c>cp.async</c> (NVIDIA sm_80 and later).</summary>
    public bool AsyncCopyArchitecture =>
        Architecture.StartsWith("sm_", StringComparison.OrdinalIgnoreCase)
        && int.TryParse(Architecture.AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var capability)
        && capability >= 80;

    /// <summary>
    /// Dense tensor-core peak of the m16n8k16 MMA with f16 inputs and float32 accumulation,
    /// GFLOP/s; 0 where the GPU has none (sm_70's tensor cores run only m8n8k4).
    /// </summary>
    public double TensorGflopsF16 { get; init; }

    /// <summary>Dense tensor-core peak with bf16 inputs and float32 accumulation, GFLOP/s; 0 where there is none.</summary>
    public double TensorGflopsBF16 { get; init; }

    /// <summary>Dense tensor-core peak with float32 operands rounded to TF32 (the m16n8k8 MMA), GFLOP/s; 0 where there is none.</summary>
    public double TensorGflopsTf32 { get; init; }

    /// <summary>The tensor-core peak for 16-bit operands of <paramref name="type"/>; 0 where there is none (float32 runs on tensor cores only as TF32, <see cref="TensorGflopsTf32"/>).</summary>
    public double TensorGflops(Etir.ElementType type) => type switch
    {
        Etir.ElementType.F16 => TensorGflopsF16,
        Etir.ElementType.BF16 => TensorGflopsBF16,
        _ => 0,
    };

    /// <summary><see cref="L2BandwidthGBs"/>, or 3x DRAM when the profile does not give it.</summary>
    public double EffectiveL2BandwidthGBs => L2BandwidthGBs > 0 ? L2BandwidthGBs : 3 * DramBandwidthGBs;

    /// <summary>FP32 lanes per SM: the peak rate over two flops per lane per clock.</summary>
    public double Fp32LanesPerMultiprocessor => PeakGflops * 1e3 / (2.0 * Multiprocessors * ClockMhz);
}
