namespace Gensor.Construction.Cost;

/// <summary>
/// Every term of the cost model's estimate for one schedule, for <c>explain</c>
/// and for debugging the model. Times are in milliseconds, traffic in bytes.
/// Each group of fields is one first-order effect of a GPU, named as
/// <c>explain --format json</c> names it.
/// </summary>
/// <param name="TotalMs">The estimate: the largest of the three bounds, the overlap loss and the launch overhead.</param>
/// <param name="MultiprocessorMs">
/// Bound of the busiest multiprocessor: issue and shared-memory time of its blocks,
/// round by round, with exposed latency and barriers per stage.
/// </param>
/// <param name="DramMs">DRAM bound: the DRAM bytes (<see cref="L2ReuseTerm"/>) at the bandwidth the kernel can keep in flight.</param>
/// <param name="L2Ms">L2 bound: the L2 bytes (<see cref="L2ReuseTerm"/>) over the L2 bandwidth.</param>
/// <param name="OverlapMs">What the two bounds that do not limit the kernel add to the largest: the profile's <see cref="Gensor.Hardware.HardwareProfile.OverlapLoss"/> of them.</param>
/// <param name="LaunchMs">Fixed kernel launch overhead.</param>
/// <param name="Occupancy">Resident blocks and threads per SM, the registers and shared memory that decide them, and which one limits.</param>
/// <param name="Waves">Rounds of resident blocks on the busiest SM, and how full the rounds are (the tail).</param>
/// <param name="MemoryParallelism">Bytes each SM keeps in flight against what latency × bandwidth needs.</param>
/// <param name="SharedMemory">Shared-memory passes (bank conflicts counted) against the instructions that cause them.</param>
/// <param name="Issue">Instructions per thread and stage, and the share that is useful multiply-adds.</param>
/// <param name="L2Reuse">Traffic from DRAM against traffic from L2: how much blocks running together share.</param>
/// <param name="Reduction">The combination of partial results across reduce threads.</param>
/// <param name="Blocks">Thread blocks in the grid.</param>
/// <param name="Stages">Reduction stages per block.</param>
/// <param name="PaddingFactor">Iteration points computed, guards included, over the operator's points.</param>
public sealed record CostBreakdown(
    double TotalMs,
    double MultiprocessorMs,
    double DramMs,
    double L2Ms,
    double OverlapMs,
    double LaunchMs,
    OccupancyTerm Occupancy,
    WavesTerm Waves,
    MemoryParallelismTerm MemoryParallelism,
    SharedMemoryTerm SharedMemory,
    IssueTerm Issue,
    L2ReuseTerm L2Reuse,
    ReductionTerm Reduction,
    long Blocks,
    long Stages,
    double PaddingFactor);

/// <summary>Occupancy: what stays resident on one SM.</summary>
/// <param name="BlocksPerMultiprocessor">Resident blocks per SM.</param>
/// <param name="ThreadsPerMultiprocessor">Resident threads per SM.</param>
/// <param name="RegistersPerThread">Registers per thread (the estimate, or ptxas's figure when known).</param>
/// <param name="SharedBytesPerBlock">Shared memory per block.</param>
/// <param name="Limiter">What limits the resident blocks: threads, registers, shared memory or block slots.</param>
/// <param name="LatencyEfficiency">Fraction of the issue rate the resident warps sustain (enough independent work to hide latency).</param>
public sealed record OccupancyTerm(int BlocksPerMultiprocessor, int ThreadsPerMultiprocessor, int RegistersPerThread, long SharedBytesPerBlock, string Limiter, double LatencyEfficiency);

/// <summary>Waves: rounds of resident blocks, and the tail of the last one.</summary>
/// <param name="Rounds">Rounds of resident blocks on the busiest SM.</param>
/// <param name="TailEfficiency">Blocks over the slots of all rounds on all SMs (1 = every round full everywhere).</param>
/// <param name="ActiveMultiprocessors">SMs that get a block at all.</param>
public sealed record WavesTerm(long Rounds, double TailEfficiency, int ActiveMultiprocessors);

/// <summary>Memory-level parallelism: bandwidth needs bytes in flight (Little's law).</summary>
/// <param name="BytesInFlightPerMultiprocessor">Bytes of loads each SM keeps outstanding.</param>
/// <param name="BytesNeededPerMultiprocessor">Latency × the SM's share of DRAM bandwidth.</param>
/// <param name="AchievedFraction">Fraction of the DRAM bandwidth the kernel can reach (at most the profile's efficiency).</param>
/// <param name="CopyWaitMs">
/// Time the busiest SM waits, unhidden, for single-buffered copies: a memory latency per stage and
/// round. Its blocks reach the barrier after their copy together, so no other block's work fills
/// the wait; a prefetched copy overlaps the stage before. 0 when nothing is staged or the copy is prefetched.
/// </param>
public sealed record MemoryParallelismTerm(double BytesInFlightPerMultiprocessor, double BytesNeededPerMultiprocessor, double AchievedFraction, double CopyWaitMs);

/// <summary>Shared memory and L1 (one SRAM per SM): bank passes and L1 sectors.</summary>
/// <param name="PassesPerStage">Bank passes per warp per stage (shared loads and stores, conflicts counted).</param>
/// <param name="ConflictFactor">Passes over the passes of conflict-free accesses (1 = no conflicts).</param>
/// <param name="Bytes">Shared-memory bytes moved by the whole grid.</param>
/// <param name="L1Bytes">Bytes through L1 for inputs read straight from global memory: every sector a warp's load touches (uncoalesced loads touch more).</param>
public sealed record SharedMemoryTerm(double PassesPerStage, double ConflictFactor, double Bytes, double L1Bytes);

/// <summary>Instruction issue: multiply-adds against everything else.</summary>
/// <param name="InstructionsPerStage">Instructions per thread per stage.</param>
/// <param name="FmaPerStage">Multiply-adds per thread per stage.</param>
/// <param name="LoadsPerStage">Shared and global loads per thread per stage (vector loads count once).</param>
/// <param name="FmaFraction">Multiply-adds over all instructions.</param>
public sealed record IssueTerm(double InstructionsPerStage, double FmaPerStage, double LoadsPerStage, double FmaFraction);

/// <summary>L2 reuse between blocks.</summary>
/// <param name="DramBytes">Bytes from DRAM: what concurrently running blocks read, each tile once per wave, or the tensors once when they fit L2.</param>
/// <param name="L2Bytes">Bytes between L2 and the SMs, in whole 32-byte sectors.</param>
/// <param name="ReuseFactor">L2 bytes over DRAM bytes: how often L2 serves what DRAM delivered once.</param>
public sealed record L2ReuseTerm(double DramBytes, double L2Bytes, double ReuseFactor);

/// <summary>Reductions across threads.</summary>
/// <param name="ReduceThreads">Threads sharing each output's reduction.</param>
/// <param name="InstructionsPerThread">Shuffles, adds and shared-memory steps per thread to combine them.</param>
/// <param name="SplitBlocks">Blocks sharing each block tile's reduction (split-K), which add their partial sums into the output atomically.</param>
/// <param name="AtomicBytes">Bytes the split blocks' atomic additions move through L2 (a read and a write per element and block); 0 without a split.</param>
public sealed record ReductionTerm(int ReduceThreads, double InstructionsPerThread, int SplitBlocks, double AtomicBytes);
