using Gensor.Analysis;
using Gensor.Backend.Lowering;
using Gensor.Etir;

namespace Gensor.Backend.Launch;

/// <summary>
/// How a generated kernel is called, stated once: the tensors in parameter
/// order (the output, then the inputs in the operator's order) with their
/// parameter names, shapes and element types; a one-dimensional grid of
/// <see cref="GridSize"/> blocks of <see cref="GroupSize"/> threads; and the
/// static shared memory a block uses; and whether the output must be zero
/// before the launch (<see cref="AddsIntoOutput"/>); after the tensors, the device addresses
/// of those a kernel copies asynchronously (<see cref="Addresses"/>). The generator declares its parameters
/// from it, the runner passes buffers in its order, launch.json prints it and
/// the launcher is written from it, so the four cannot disagree. Parameter
/// names follow the one naming rule, <see cref="KernelNames.Parameter"/>.
/// </summary>
public sealed record LaunchContract(ValueArray<LaunchTensor> Tensors, int GridSize, int GroupSize, long SharedMemoryBytes)
{
    /// <summary>The element type name of float32 tensors (<see cref="ElementTypes.Name"/>).</summary>
    public const string Float32 = "f32";

    /// <summary>
    /// The kernel adds its result into the output instead of storing it (split-K:
    /// several blocks add partial sums), so the output must hold zeros when the kernel
    /// starts: clear it before every launch. The launcher and the runner do.
    /// </summary>
    public bool AddsIntoOutput { get; init; }

    /// <summary>
    /// The 64-bit device addresses passed after the tensors, in this order, of the tensors a kernel copies by
    /// <c>cp.async</c>: A and B of a pipelined tensor-core kernel of 16-bit operands, the staged inputs of a schedule
    /// with asynchronous copies (<see cref="Schedule.AsyncCopy"/>); empty for the others.
    /// </summary>
    public ValueArray<LaunchAddress> Addresses { get; init; } = ValueArray<LaunchAddress>.Empty;

    public LaunchTensor Output => Tensors.Single(t => t.Role == TensorRole.Output);

    public IEnumerable<LaunchTensor> Inputs => Tensors.Where(t => t.Role == TensorRole.Input);

    /// <summary>The contract of <paramref name="state"/>'s kernel.</summary>
    public static LaunchContract Of(EtirState state)
    {
        var op = state.Operator;
        var schedule = state.Schedule;
        var tensors = new[] { op.Output }.Concat(op.Inputs).ToArray();
        var launch = ValueArray.From(tensors.Select((t, i) => new LaunchTensor(t.Name, KernelNames.Parameter(t.Name, i), t.Shape, t.Type.Name(), i == 0 ? TensorRole.Output : TensorRole.Input)));
        if (schedule.Mma != MmaShape.None)
        {
            // A tensor-core kernel: one warp per warp tile, its own shared layout (TensorCoreTiling).
            var (tiling, reason) = TensorCoreTiling.Of(op, schedule);
            if (tiling is null || reason is not null)
            {
                throw new ArgumentException($"schedule {schedule} does not fit {op.Name}: {reason}", nameof(state));
            }
            return new LaunchContract(launch, checked((int)tiling.Blocks), tiling.Threads, tiling.SharedBytes)
            {
                // A and B, the product's inputs 1 and 2.
                Addresses = tiling.AsyncCopies ? ValueArray.Of(LaunchAddress.Of(launch[1], 1), LaunchAddress.Of(launch[2], 2)) : ValueArray<LaunchAddress>.Empty,
            };
        }
        var spatial = op.SpatialAxes.ToArray();
        var grid = checked((int)(Enumerable.Range(0, spatial.Length)
            .Aggregate(1L, (product, a) => product * (((long)spatial[a].Extent + schedule.BlockTile[a] - 1) / schedule.BlockTile[a])) * schedule.SplitReduce));
        return new LaunchContract(launch, grid, schedule.ThreadsPerBlock, OperatorAnalysis.Of(op).SharedMemoryBytes(schedule))
        {
            AddsIntoOutput = schedule.SplitReduce > 1,
            Addresses = schedule.AsyncCopy
                ? ValueArray.From(Enumerable.Range(1, launch.Count - 1).Where(i => schedule.IsShared(launch[i].Name)).Select(i => LaunchAddress.Of(launch[i], i)))
                : ValueArray<LaunchAddress>.Empty,
        };
    }
}
