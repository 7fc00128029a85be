using Gensor.Construction.Analysis;
using Gensor.Construction.Profiles;
using Gensor.Etir;

namespace Gensor.Construction;

/// <summary>
/// The one place that decides whether a schedule can run for an operator on a
/// profile. Every policy, the primitives and the code generator ask here, so a
/// schedule one of them accepts the others accept too. Policies call it for
/// every state they reach, so sizes come from the cached
/// <see cref="OperatorAnalysis"/> rather than from LINQ over the expression.
/// </summary>
public static class Legality
{
    /// <summary>Registers a thread needs besides its accumulators and operand registers (indices, addresses, loop counters).</summary>
    public const int BaseRegisters = 24;

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

    /// <summary>Null when <paramref name="schedule"/> is legal; otherwise the reason it is not.</summary>
    public static string? Check(Operator op, Schedule schedule, HardwareProfile profile)
    {
        var structural = CheckStructure(op, schedule);
        if (structural is not null)
        {
            return structural;
        }
        // 64-bit and saturating: a block of 65536x65536 threads must not wrap to 0 and pass.
        var threads = ThreadsPerBlock(schedule);
        if (threads > profile.MaxThreadsPerBlock)
        {
            return $"{threads} threads per block exceed the limit of {profile.MaxThreadsPerBlock}";
        }
        var shared = SharedMemoryBytes(op, schedule);
        if (shared > SharedMemoryLimit(profile))
        {
            return $"{shared} bytes of shared memory per block exceed the limit of {SharedMemoryLimit(profile)} ({SharedMemoryLimit(profile) / 1024} KB)";
        }
        var registers = RegistersPerThread(op, schedule);
        if (registers > profile.MaxRegistersPerThread)
        {
            return $"about {registers} registers per thread exceed the limit of {profile.MaxRegistersPerThread}";
        }
        if ((long)registers * threads > profile.RegistersPerMultiprocessor)
        {
            return $"about {(long)registers * threads} registers per block exceed the {profile.RegistersPerMultiprocessor} of a multiprocessor";
        }
        return null;
    }

    /// <summary>
    /// Threads per block in 64-bit arithmetic, saturating just past
    /// <see cref="int.MaxValue"/> (<see cref="Schedule.ThreadsPerBlock"/> is an
    /// <c>int</c> and is exact only for schedules this class accepts).
    /// </summary>
    public static long ThreadsPerBlock(Schedule schedule)
    {
        long threads = 1;
        for (var i = 0; i < schedule.BlockTile.Count && i < schedule.ThreadTile.Count; i++)
        {
            threads = Math.Min(threads * (schedule.BlockTile[i] / Math.Max(1, schedule.ThreadTile[i])), Saturation);
        }
        return threads;
    }

    /// <summary>Outputs per thread in 64-bit arithmetic, saturating like <see cref="ThreadsPerBlock(Schedule)"/>.</summary>
    public static long OutputsPerThread(Schedule schedule)
    {
        long outputs = 1;
        foreach (var tile in schedule.ThreadTile)
        {
            outputs = Math.Min(outputs * tile, Saturation);
        }
        return outputs;
    }

    // Above every int and small enough that a product of two stays a long.
    private const long Saturation = (long)int.MaxValue + 1;

    /// <summary>The rules that do not depend on the hardware: shapes of the schedule's lists, divisibility, staging.</summary>
    public static string? CheckStructure(Operator op, Schedule schedule)
    {
        var analysis = OperatorAnalysis.Of(op);
        var spatial = analysis.SpatialRank;
        if (schedule.BlockTile.Count != spatial || schedule.ThreadTile.Count != spatial || schedule.VirtualThreads.Count != spatial)
        {
            return $"the schedule needs {spatial} block, thread and vthread sizes, one per spatial axis";
        }
        if (schedule.ReduceStep.Count != analysis.ReduceRank)
        {
            return $"the schedule needs {analysis.ReduceRank} reduce steps, one per reduce axis";
        }
        for (var i = 0; i < spatial; i++)
        {
            if (schedule.BlockTile[i] <= 0 || schedule.ThreadTile[i] <= 0 || schedule.VirtualThreads[i] <= 0)
            {
                return $"tile sizes along {op.Axes[i].Name} must be positive";
            }
            if (schedule.BlockTile[i] % schedule.ThreadTile[i] != 0)
            {
                return $"block tile {schedule.BlockTile[i]} along {op.Axes[i].Name} is not a multiple of thread tile {schedule.ThreadTile[i]}";
            }
            if (schedule.ThreadTile[i] % schedule.VirtualThreads[i] != 0)
            {
                return $"thread tile {schedule.ThreadTile[i]} along {op.Axes[i].Name} is not a multiple of {schedule.VirtualThreads[i]} virtual threads";
            }
        }
        for (var j = 0; j < analysis.ReduceRank; j++)
        {
            if (schedule.ReduceStep[j] <= 0)
            {
                return $"reduce step along {op.Axes[spatial + j].Name} must be positive";
            }
        }
        for (var k = 0; k < schedule.SharedInputs.Count; k++)
        {
            var tensor = schedule.SharedInputs[k];
            if (!IsInput(op, tensor))
            {
                return $"'{tensor}' is not an input of {op.Name}";
            }
            // A staged tile is the box of one access pattern; a tensor read twice
            // (or only in the epilogue) has no single box to stage.
            if (!IsStageable(analysis, tensor))
            {
                return $"'{tensor}' can be staged in shared memory only when the body reads it exactly once";
            }
        }
        if (schedule.VectorWidth is not (1 or 2 or 4))
        {
            return $"vector width {schedule.VectorWidth} is not 1, 2 or 4";
        }
        return null;
    }

    /// <summary>Bytes of shared memory a block uses: the staged box of every shared input, float32.</summary>
    public static long SharedMemoryBytes(Operator op, Schedule schedule) =>
        OperatorAnalysis.Of(op).SharedMemoryBytes(schedule);

    /// <summary>
    /// An estimate of registers per thread: one accumulator per output, the
    /// operand registers the outer product keeps live for one reduce point
    /// (one per distinct footprint element of each read over the thread tile),
    /// and a fixed overhead.
    /// </summary>
    public static int RegistersPerThread(Operator op, Schedule schedule) =>
        OperatorAnalysis.Of(op).RegistersPerThread(schedule);

    private static bool IsInput(Operator op, string tensor)
    {
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            if (op.Inputs[i].Name == tensor)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsStageable(OperatorAnalysis analysis, string tensor)
    {
        for (var r = 0; r < analysis.ReadCount; r++)
        {
            if (analysis.ReadTensor(r) == tensor)
            {
                return analysis.IsStageable(r);
            }
        }
        return false;
    }
}
