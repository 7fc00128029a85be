namespace Gensor.Construction.Cost;

/// <summary>
/// Every term of <see cref="TensorCoreCost"/>'s estimate for one tensor-core schedule, for
/// <c>explain</c>: the scalar kernels' <see cref="CostBreakdown"/> has other effects (issue,
/// bank conflicts, bytes in flight) that the tensor-core model does not weigh. Times are in
/// milliseconds, traffic in bytes; groups named as <c>explain --format json</c> names them.
/// </summary>
/// <param name="TotalMs">The estimate: the largest of the bounds, plus the overlap loss, the copy wait, barriers, thread wakes and the launch.</param>
/// <param name="TensorCoreMs">Tensor-core bound: the flops at the MMA's share of the peak, in whole rounds.</param>
/// <param name="SharedMemoryMs">Shared-memory bound: fragment loads and the copies' stores at 128 bytes per clock and SM, in whole rounds.</param>
/// <param name="L2Ms">L2 bound: every block's operand boxes and C's store over the L2 bandwidth.</param>
/// <param name="DramMs">DRAM bound: A, B and C once (the boxes blocks share stay in L2).</param>
/// <param name="LatencyMs">Latency bound of a pipelined schedule: a global load's latency per stage and round (0 single-buffered).</param>
/// <param name="OverlapMs">What the bounds that do not limit the kernel (a pipelined schedule's latency among them) add: the profile's <see cref="Gensor.Hardware.HardwareProfile.OverlapLoss"/> of them.</param>
/// <param name="CopyWaitMs">What a single-buffered schedule's stages wait for their own copy: a global load's latency per stage and round, added (0 pipelined).</param>
/// <param name="BarrierMs">The barriers, two per stage and round, or one when pipelined.</param>
/// <param name="ThreadSyncMs">The CPU accelerator's thread wakes for barriers and the emulated MMA's shuffles; 0 on GPU profiles.</param>
/// <param name="LaunchMs">Fixed kernel launch overhead.</param>
/// <param name="Pipelined">Whether the stages are pipelined over two shared buffers (<c>buffers=2 prefetch=1</c>).</param>
/// <param name="Occupancy">Resident blocks and threads per SM and what limits them.</param>
/// <param name="Waves">Rounds of resident blocks, and how full they are (a partial last round costs a full one).</param>
/// <param name="TensorCore">The MMA work and the peak it runs at.</param>
/// <param name="SharedMemory">The shared-memory words a block moves per stage.</param>
/// <param name="L2Reuse">Traffic from DRAM against traffic from L2.</param>
/// <param name="ThreadWakesPerBlock">Thread wakes of one block on the CPU accelerator: every thread at each of a stage's barriers, twice at each shuffle, and at the block's end; 0 on GPU profiles.</param>
/// <param name="Blocks">Thread blocks in the grid.</param>
/// <param name="Stages">Reduction stages per block.</param>
public sealed record TensorCoreBreakdown(
    double TotalMs,
    double TensorCoreMs,
    double SharedMemoryMs,
    double L2Ms,
    double DramMs,
    double LatencyMs,
    double OverlapMs,
    double CopyWaitMs,
    double BarrierMs,
    double ThreadSyncMs,
    double LaunchMs,
    bool Pipelined,
    ResidencyTerm Occupancy,
    WavesTerm Waves,
    TensorCoreTerm TensorCore,
    TensorCoreSharedTerm SharedMemory,
    L2ReuseTerm L2Reuse,
    double ThreadWakesPerBlock,
    long Blocks,
    long Stages);

/// <summary>What stays resident on one SM (the tensor-core model charges latency per stage instead of a latency efficiency).</summary>
/// <param name="BlocksPerMultiprocessor">Resident blocks per SM.</param>
/// <param name="ThreadsPerMultiprocessor">Resident threads per SM.</param>
/// <param name="RegistersPerThread">Registers per thread (the tiling's estimate, or ptxas's figure when known).</param>
/// <param name="SharedBytesPerBlock">Shared memory per block.</param>
/// <param name="Limiter">What limits the resident blocks: threads, registers, shared memory or block slots.</param>
public sealed record ResidencyTerm(int BlocksPerMultiprocessor, int ThreadsPerMultiprocessor, int RegistersPerThread, long SharedBytesPerBlock, string Limiter);

/// <summary>The tensor cores' work.</summary>
/// <param name="Flops">2·M·N·K.</param>
/// <param name="PeakGflops">The profile's tensor-core peak for the MMA's operand type.</param>
/// <param name="Efficiency">The share of the peak <c>mma.sync</c> reaches (<see cref="TensorCoreCost.MmaSyncEfficiency"/>).</param>
/// <param name="MmasPerWarpStage">MMA instructions each warp issues per stage.</param>
public sealed record TensorCoreTerm(double Flops, double PeakGflops, double Efficiency, int MmasPerWarpStage);

/// <summary>Shared memory of a tensor-core block, in 32-bit words per stage.</summary>
/// <param name="FragmentWordsPerStage">Words the block's warps load into MMA fragments (one per lane and register).</param>
/// <param name="CopyWordsPerStage">Words the block stores copying A's and B's boxes.</param>
/// <param name="ConflictFactor">Bank passes over the passes of conflict-free accesses (1 over the tiling space: padded rows, spread copy rows).</param>
/// <param name="Bytes">Shared-memory bytes the whole grid's passes are worth (a pass moves 128 bytes).</param>
public sealed record TensorCoreSharedTerm(long FragmentWordsPerStage, long CopyWordsPerStage, double ConflictFactor, double Bytes);
