using Gensor.Analysis;
using Gensor.Etir;

namespace Gensor.Backend.Launch;

/// <summary>
/// How a generated kernel is called, stated once: the tensors in parameter
/// order (the output, then the inputs in the operator's order) with their
/// parameter names, shapes and element types; a one-dimensional grid of
/// <see cref="GridSize"/> blocks of <see cref="GroupSize"/> threads; and the
/// static shared memory a block uses. The generator declares its parameters
/// from it, the runner passes buffers in its order, launch.json prints it and
/// the launcher is written from it, so the four cannot disagree.
/// </summary>
public sealed record LaunchContract(ValueArray<LaunchTensor> Tensors, int GridSize, int GroupSize, long SharedMemoryBytes)
{
    /// <summary>The element type name of float32 tensors.</summary>
    public const string Float32 = "f32";

    /// <summary>
    /// Names the launcher uses beside the tensors' parameters; a tensor with one
    /// of them gets positional parameter names, like one that starts with the
    /// generator's <c>g_</c> prefix.
    /// </summary>
    private static readonly string[] _reserved = ["accelerator"];

    public LaunchTensor Output => Tensors.Single(t => t.Role == TensorRole.Output);

    public IEnumerable<LaunchTensor> Inputs => Tensors.Where(t => t.Role == TensorRole.Input);

    /// <summary>The contract of <paramref name="state"/>'s kernel.</summary>
    public static LaunchContract Of(EtirState state)
    {
        var op = state.Operator;
        var schedule = state.Schedule;
        var tensors = new[] { op.Output }.Concat(op.Inputs).ToArray();
        var parameters = ParameterIdentifiers(tensors.Select(t => t.Name).ToArray());
        var launch = tensors.Select((t, i) => new LaunchTensor(t.Name, parameters[i], t.Shape, Float32, i == 0 ? TensorRole.Output : TensorRole.Input));
        var spatial = op.SpatialAxes.ToArray();
        var grid = Enumerable.Range(0, spatial.Length)
            .Aggregate(1, (product, a) => product * ((spatial[a].Extent + schedule.BlockTile[a] - 1) / schedule.BlockTile[a]));
        return new LaunchContract(ValueArray.From(launch), grid, schedule.ThreadsPerBlock, OperatorAnalysis.Of(op).SharedMemoryBytes(schedule));
    }

    /// <summary>
    /// The one rule for the kernel's parameter names: the tensor's own name as a
    /// verbatim identifier (<c>@A</c>), so any tensor name is legal C#; or, when
    /// a name could collide with the generated code's locals (all <c>g_...</c>)
    /// or the launcher's own parameter, positional names <c>arg0, arg1, ...</c> for all.
    /// </summary>
    public static IReadOnlyList<string> ParameterIdentifiers(IReadOnlyList<string> tensorNames)
    {
        var positional = tensorNames.Any(name => name.StartsWith("g_", StringComparison.Ordinal) || _reserved.Contains(name));
        return tensorNames.Select((name, i) => positional ? $"arg{i}" : "@" + name).ToArray();
    }
}
