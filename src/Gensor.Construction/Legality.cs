using Gensor.Construction.Profiles;
using Gensor.Etir;

namespace Gensor.Construction;

/// <summary>
/// The one place that decides whether a schedule can run for an operator on a
/// profile. Every policy, the primitives and the code generator ask here, so a
/// schedule one of them accepts the others accept too.
/// </summary>
public static class Legality
{
    /// <summary>Registers a thread needs besides its accumulators and operand registers (indices, addresses, loop counters).</summary>
    public const int BaseRegisters = 24;

    /// <summary>Null when <paramref name="schedule"/> is legal; otherwise the reason it is not.</summary>
    public static string? Check(Operator op, Schedule schedule, HardwareProfile profile)
    {
        var structural = CheckStructure(op, schedule);
        if (structural is not null)
        {
            return structural;
        }
        var threads = schedule.ThreadsPerBlock;
        if (threads > profile.MaxThreadsPerBlock)
        {
            return $"{threads} threads per block exceed the limit of {profile.MaxThreadsPerBlock}";
        }
        var shared = SharedMemoryBytes(op, schedule);
        if (shared > profile.SharedMemoryPerBlock)
        {
            return $"{shared} bytes of shared memory per block exceed the limit of {profile.SharedMemoryPerBlock}";
        }
        var registers = RegistersPerThread(op, schedule);
        if (registers > profile.MaxRegistersPerThread)
        {
            return $"about {registers} registers per thread exceed the limit of {profile.MaxRegistersPerThread}";
        }
        if ((long)registers * threads > profile.RegistersPerMultiprocessor)
        {
            return $"about {registers * threads} registers per block exceed the {profile.RegistersPerMultiprocessor} of a multiprocessor";
        }
        return null;
    }

    /// <summary>The rules that do not depend on the hardware: shapes of the schedule's lists, divisibility, staging.</summary>
    public static string? CheckStructure(Operator op, Schedule schedule)
    {
        var spatial = op.SpatialRank;
        if (schedule.BlockTile.Count != spatial || schedule.ThreadTile.Count != spatial || schedule.VirtualThreads.Count != spatial)
        {
            return $"the schedule needs {spatial} block, thread and vthread sizes, one per spatial axis";
        }
        if (schedule.ReduceStep.Count != op.ReduceRank)
        {
            return $"the schedule needs {op.ReduceRank} reduce steps, one per reduce axis";
        }
        var spatialAxes = op.SpatialAxes.ToArray();
        for (var i = 0; i < spatial; i++)
        {
            if (schedule.BlockTile[i] % schedule.ThreadTile[i] != 0)
            {
                return $"block tile {schedule.BlockTile[i]} along {spatialAxes[i].Name} is not a multiple of thread tile {schedule.ThreadTile[i]}";
            }
            if (schedule.ThreadTile[i] % schedule.VirtualThreads[i] != 0)
            {
                return $"thread tile {schedule.ThreadTile[i]} along {spatialAxes[i].Name} is not a multiple of {schedule.VirtualThreads[i]} virtual threads";
            }
        }
        foreach (var tensor in schedule.SharedInputs)
        {
            if (!op.Inputs.Any(input => input.Name == tensor))
            {
                return $"'{tensor}' is not an input of {op.Name}";
            }
            // A staged tile is the box of one access pattern; a tensor read twice
            // (or only in the epilogue) has no single box to stage.
            if (op.BodyReads.Count(read => read.Tensor == tensor) != 1)
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
        op.BodyReads
            .Where(read => schedule.IsShared(read.Tensor))
            .Sum(read => TileFootprint.OfBlockStage(op, schedule, read).Elements * sizeof(float));

    /// <summary>
    /// An estimate of registers per thread: one accumulator per output, the
    /// operand registers the outer product keeps live for one reduce point
    /// (one per distinct footprint element of each read over the thread tile),
    /// and a fixed overhead.
    /// </summary>
    public static int RegistersPerThread(Operator op, Schedule schedule)
    {
        var operands = 0L;
        var spatialTile = new Dictionary<string, int>();
        var index = 0;
        foreach (var axis in op.SpatialAxes)
        {
            spatialTile[axis.Name] = schedule.ThreadTile[index++];
        }
        foreach (var read in op.BodyReads)
        {
            operands += TileFootprint.Of(read, axis => spatialTile.GetValueOrDefault(axis, 1)).Elements;
        }
        return (int)Math.Min(int.MaxValue, schedule.OutputsPerThread + operands + BaseRegisters);
    }
}
