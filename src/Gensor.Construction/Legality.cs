using Gensor.Analysis;
using Gensor.Hardware;
using Gensor.Etir;

namespace Gensor.Construction;

/// <summary>
/// The one place that decides whether a schedule can run for an operator on a
/// profile. Every policy and the primitives ask here, so a schedule one of them
/// accepts the others accept too. The rules that do not depend on the hardware,
/// and every size (shared bytes, registers), are the cached
/// <see cref="OperatorAnalysis"/>'s, which the code generator reads as well.
/// </summary>
public static class Legality
{
    /// <summary>
    /// Shared memory one block of a generated kernel may use. The code generator
    /// allocates shared memory statically (<c>SharedMemory.Allocate</c> with a
    /// constant size), and CUDA caps static shared memory at 48 KB per block;
    /// more needs dynamic shared memory and an opt-in per kernel, which the
    /// generated kernels do not use. A profile's larger figure is the hardware's.
    /// </summary>
    public const int StaticSharedMemoryLimit = 48 * 1024;

    /// <summary>Shared bytes a block may use on <paramref name="profile"/> with generated kernels.</summary>
    public static int SharedMemoryLimit(HardwareProfile profile) => Math.Min(profile.SharedMemoryPerBlock, StaticSharedMemoryLimit);

    /// <summary>
    /// Null when <paramref name="schedule"/> is legal; otherwise the reason it is not.
    /// Cheap rules first: policies ask for every state they reach.
    /// </summary>
    public static string? Check(Operator op, Schedule schedule, HardwareProfile profile)
    {
        if (schedule.Mma != MmaShape.None)
        {
            return CheckTensorCores(op, schedule, profile);
        }
        var analysis = OperatorAnalysis.Of(op);
        var structural = analysis.CheckStructure(schedule);
        if (structural is not null)
        {
            return structural;
        }
        if (schedule.AsyncCopy && !profile.AsyncCopies)
        {
            return profile.AsyncCopyArchitecture
                ? $"asynchronous copies (async=1) are cp.async, which the {profile.Name} profile has off (async_copies: ILGPU's OpenCL back end writes none)"
                : $"asynchronous copies (async=1) are cp.async, which {profile.Name} ({profile.Architecture}) lacks: sm_80 and later have it";
        }
        if (schedule.ReduceThreads > 1 && !profile.WarpShuffles)
        {
            return $"{schedule.ReduceThreads} reduce threads combine their results by warp shuffles, which the {profile.Name} profile has off (warp_shuffles: ILGPU's OpenCL back end writes none)";
        }
        var threads = schedule.ThreadsPerBlock;
        if (threads > profile.MaxThreadsPerBlock)
        {
            return $"{threads} threads per block exceed the limit of {profile.MaxThreadsPerBlock}";
        }
        // A warp is the unit of issue: a block of a partial warp leaves its lanes idle. Only an
        // operator that fits one block smaller than a warp may have one.
        var oneBlock = GridIsOneBlock(analysis, schedule);
        if (threads % profile.WarpSize != 0 && !(threads < profile.WarpSize && oneBlock))
        {
            return $"{threads} threads per block are not whole warps of {profile.WarpSize}";
        }
        if (!oneBlock && TooFewThreads(threads, profile) is { } few)
        {
            return few;
        }
        var shared = analysis.SharedMemoryBytes(schedule, profile.WarpSize);
        if (shared > SharedMemoryLimit(profile))
        {
            return $"{shared} bytes of shared memory per block exceed the limit of {SharedMemoryLimit(profile)} ({SharedMemoryLimit(profile) / 1024} KB)";
        }
        var registers = analysis.RegistersPerThread(schedule);
        if (RegisterLimits(threads, registers, "about ", "", profile) is { } tooMany)
        {
            return tooMany;
        }
        // A profile may bound the straight-line code of an unrolled stage (the CPU accelerator compiles it at run time).
        // A stage with its loops all rolled has no straight-line body (a stage with no reduce loop is one).
        var unrolled = OperatorAnalysis.StageUnrolling(schedule);
        var unrolledUpdates = unrolled.Points * schedule.OutputsPerThread;
        var straightLine = unrolled.Loops > 0 || unrolled.Factor > 1 || schedule.ReduceStep.Count == 0;
        if (profile.MaxUnrolledUpdates > 0 && straightLine && unrolledUpdates > profile.MaxUnrolledUpdates)
        {
            return $"{unrolledUpdates} multiply-adds per thread in one unrolled stage exceed the limit of {profile.MaxUnrolledUpdates}";
        }
        // One block is all the operator launches: no other block could share its multiprocessor, whatever fits
        // there (a 1x1x1 product had no legal schedule for roller or naive on a GPU profile; found by fuzzing).
        return oneBlock ? null : BelowOccupancyGoal(threads, registers, shared, profile);
    }

    /// <summary>
    /// Null when <paramref name="schedule"/>, compiled to <paramref name="registers"/> per thread
    /// (ptxas's count rather than the estimate), keeps within the register limits and the
    /// occupancy goal; otherwise the reason. The other rules do not depend on registers.
    /// </summary>
    public static string? CheckRegisters(Operator op, Schedule schedule, HardwareProfile profile, int registers)
    {
        var (threads, _, shared) = Footprint(op, schedule, profile);
        return RegisterLimits(threads, registers, "", " (compiled)", profile)
            ?? (schedule.Mma == MmaShape.None && GridIsOneBlock(OperatorAnalysis.Of(op), schedule) ? null : BelowOccupancyGoal(threads, registers, shared, profile));
    }

    /// <summary>
    /// What a block of <paramref name="schedule"/> takes on a multiprocessor as the model sees it: threads, the
    /// register estimate per thread and shared bytes; the tensor-core tiling's for an MMA schedule (warps of its
    /// warp tiles, fragments and accumulators), the scalar analysis's otherwise.
    /// </summary>
    public static (int Threads, int Registers, long SharedBytes) Footprint(Operator op, Schedule schedule, HardwareProfile profile)
    {
        if (schedule.Mma != MmaShape.None && TensorCoreTiling.Of(op, schedule).Tiling is { } tiling)
        {
            return (tiling.Threads, tiling.RegistersPerThread, tiling.SharedBytes);
        }
        var analysis = OperatorAnalysis.Of(op);
        return (schedule.ThreadsPerBlock, analysis.RegistersPerThread(schedule), analysis.SharedMemoryBytes(schedule, profile.WarpSize));
    }

    private static string? RegisterLimits(int threads, int registers, string about, string compiled, HardwareProfile profile) =>
        registers > profile.MaxRegistersPerThread
            ? $"{about}{registers} registers per thread{compiled} exceed the limit of {profile.MaxRegistersPerThread}"
            : (long)registers * threads > profile.RegistersPerMultiprocessor
                ? $"{about}{(long)registers * threads} registers per block{compiled} exceed the {profile.RegistersPerMultiprocessor} of a multiprocessor"
                : null;

    /// <summary>Latency is hidden by other warps: a multiprocessor must be able to hold the profile's goal.</summary>
    private static string? BelowOccupancyGoal(int threads, int registers, long shared, HardwareProfile profile)
    {
        var goal = Math.Min(profile.OccupancyGoalThreads, profile.MaxThreadsPerMultiprocessor);
        if (goal <= 0)
        {
            return null;
        }
        var (blocks, limiter) = Occupancy.Resident(threads, registers, shared, profile);
        return (long)blocks * threads < goal
            ? $"only {(long)blocks * threads} threads fit a multiprocessor (limited by {limiter}), below the occupancy goal of {goal}"
            : null;
    }

    /// <summary>
    /// A tensor-core schedule: its tiling (<see cref="TensorCoreTiling"/>: tile multiples, both
    /// operands staged), tensor cores for the operand type on the profile, and the limits of
    /// threads, shared memory, fragment registers and occupancy every kernel has.
    /// </summary>
    private static string? CheckTensorCores(Operator op, Schedule schedule, HardwareProfile profile)
    {
        var (tiling, reason) = TensorCoreTiling.Of(op, schedule);
        if (tiling is null || reason is not null)
        {
            return reason;
        }
        if (tiling.PeakGflops(profile) <= 0)
        {
            return $"{profile.Name} has no tensor cores for the {Schedule.MmaName(schedule.Mma)} MMA on {tiling.OperandName}";
        }
        if (tiling.Threads > profile.MaxThreadsPerBlock)
        {
            return $"{tiling.Threads} threads per block exceed the limit of {profile.MaxThreadsPerBlock}";
        }
        if (TooFewThreads(tiling.Threads, profile) is { } few)
        {
            return few;
        }
        if (tiling.SharedBytes > SharedMemoryLimit(profile))
        {
            return $"{tiling.SharedBytes} bytes of shared memory per block exceed the limit of {SharedMemoryLimit(profile)} ({SharedMemoryLimit(profile) / 1024} KB)";
        }
        return RegisterLimits(tiling.Threads, tiling.RegistersPerThread, "about ", " (fragments and accumulators)", profile)
            ?? BelowOccupancyGoal(tiling.Threads, tiling.RegistersPerThread, tiling.SharedBytes, profile);
    }

    /// <summary>Why a block of <paramref name="threads"/> is under the profile's floor, or null.</summary>
    private static string? TooFewThreads(int threads, HardwareProfile profile) =>
        threads < profile.MinThreadsPerBlock ? $"{threads} threads per block are fewer than the {profile.MinThreadsPerBlock} {profile.Name} asks of a block" : null;

    private static bool GridIsOneBlock(OperatorAnalysis analysis, Schedule schedule)
    {
        if (schedule.SplitReduce > 1)
        {
            return false;
        }
        for (var i = 0; i < analysis.SpatialRank; i++)
        {
            if (schedule.BlockTile[i] < analysis.Extents[i])
            {
                return false;
            }
        }
        return true;
    }
}
