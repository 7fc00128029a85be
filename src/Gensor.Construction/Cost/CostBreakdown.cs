namespace Gensor.Construction.Cost;

/// <summary>
/// Every term of the cost model's estimate for one schedule, for <c>explain</c>
/// and for debugging the model. Times are in milliseconds, traffic in bytes.
/// </summary>
/// <param name="TotalMs">The estimate: the largest of the three bounds plus the launch overhead.</param>
/// <param name="DramMs">DRAM bound: <paramref name="DramBytes"/> over the DRAM bandwidth.</param>
/// <param name="L2Ms">L2 bound: <paramref name="L2Bytes"/> over the L2 bandwidth.</param>
/// <param name="MultiprocessorMs">
/// Bound of the busiest multiprocessor: issue, shared-memory and L1 time of its
/// blocks, round by round, with global latency and barriers per stage.
/// </param>
/// <param name="LaunchMs">Fixed kernel launch overhead.</param>
/// <param name="DramBytes">Bytes from DRAM: compulsory traffic plus the part of the re-reads L2 does not catch.</param>
/// <param name="L2Bytes">Bytes between L2 and the multiprocessors, in whole 32-byte sectors.</param>
/// <param name="SharedBytes">Shared-memory bytes moved, bank conflicts counted as replays.</param>
/// <param name="L1Bytes">Bytes through L1 for inputs read straight from global memory, sectors counted.</param>
/// <param name="Blocks">Thread blocks in the grid.</param>
/// <param name="Stages">Reduction stages per block.</param>
/// <param name="BlocksPerMultiprocessor">Resident blocks per multiprocessor (occupancy limit).</param>
/// <param name="Waves">Rounds of resident blocks on the busiest multiprocessor.</param>
/// <param name="IssueEfficiency">Fraction of issue slots doing useful multiply-adds (instruction mix).</param>
/// <param name="LatencyEfficiency">Fraction of the issue rate reached with the resident warps of a full round.</param>
/// <param name="CoalescingEfficiency">Useful over moved bytes at L2 (1 = every sector fully used).</param>
/// <param name="BankConflictFactor">Average replays per shared-memory load (1 = conflict free).</param>
/// <param name="PaddingFactor">Iteration points computed, guards included, over the operator's points.</param>
public sealed record CostBreakdown(
    double TotalMs,
    double DramMs,
    double L2Ms,
    double MultiprocessorMs,
    double LaunchMs,
    double DramBytes,
    double L2Bytes,
    double SharedBytes,
    double L1Bytes,
    long Blocks,
    long Stages,
    int BlocksPerMultiprocessor,
    long Waves,
    double IssueEfficiency,
    double LatencyEfficiency,
    double CoalescingEfficiency,
    double BankConflictFactor,
    double PaddingFactor);
