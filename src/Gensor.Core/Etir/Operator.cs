namespace Gensor.Etir;

/// <summary>Whether an index variable runs over the output (spatial) or is summed or maxed away (reduce).</summary>
public enum AxisKind { Spatial, Reduce }

/// <summary>An index variable of the iteration space with its extent.</summary>
public sealed record Axis(string Name, int Extent, AxisKind Kind)
{
    /// <summary>The index variables of the spec that <see cref="AxisFusion"/> made this one axis, outermost first; empty for an axis of the spec.</summary>
    public ValueArray<string> FusedFrom { get; init; } = ValueArray<string>.Empty;

    /// <summary>
    /// Name, extent and kind: what the axis is to construction and lowering. Where it came from
    /// (<see cref="FusedFrom"/>) is for people, so an operator written back as a spec and built
    /// again (the isolated measurer does) equals the one it came from.
    /// </summary>
    public bool Equals(Axis? other) => other is not null && Name == other.Name && Extent == other.Extent && Kind == other.Kind;

    public override int GetHashCode() => HashCode.Combine(Name, Extent, Kind);
}

/// <summary>A dense, row-major tensor of <see cref="Type"/> elements.</summary>
public sealed record Tensor(string Name, ValueArray<int> Shape)
{
    /// <summary>The element type (float32 unless the spec says otherwise).</summary>
    public ElementType Type { get; init; } = ElementType.F32;

    public long ElementCount => Shape.Aggregate(1L, (product, extent) => product * extent);
}

/// <summary>How the body's values over the reduce axes combine: <c>=</c>, <c>+=</c> or <c>max=</c>.</summary>
public enum Reduction { None, Sum, Max }

/// <summary>
/// The algorithm half of ETIR: what an operator computes. For every point of the
/// spatial axes, the output element is the reduction over the reduce axes of
/// <see cref="Body"/>; <see cref="Epilogue"/>, when present, is applied to that
/// value before it is stored (a read of the output tensor in it means the
/// accumulated value).
/// </summary>
/// <param name="Name">The operator's name, from the spec.</param>
/// <param name="Output">The output tensor; its dimensions are the spatial axes, in order.</param>
/// <param name="Axes">Spatial axes in output order, then reduce axes in order of first use.</param>
/// <param name="Inputs">Input tensors in order of first read (body, then epilogue).</param>
/// <param name="Reduction">How body values combine over the reduce axes.</param>
/// <param name="Body">The expression evaluated at each point of the iteration space.</param>
/// <param name="Epilogue">An element-wise expression of the accumulated value, or null.</param>
public sealed record Operator(
    string Name,
    Tensor Output,
    ValueArray<Axis> Axes,
    ValueArray<Tensor> Inputs,
    Reduction Reduction,
    Expr Body,
    Expr? Epilogue)
{
    /// <summary>
    /// The type arithmetic happens in: float32 always. 16-bit inputs are widened when read
    /// (their products are exact in float32) and a 16-bit output is rounded once, when stored.
    /// </summary>
    public ElementType AccumulatorType => ElementType.F32;

    /// <summary>Whether every tensor is float32 (the kernels Gensor generated before element types existed).</summary>
    public bool AllFloat32 => Output.Type == ElementType.F32 && Inputs.All(tensor => tensor.Type == ElementType.F32);

    public IEnumerable<Axis> SpatialAxes => Axes.Where(axis => axis.Kind == AxisKind.Spatial);

    public IEnumerable<Axis> ReduceAxes => Axes.Where(axis => axis.Kind == AxisKind.Reduce);

    public int SpatialRank => SpatialAxes.Count();

    public int ReduceRank => ReduceAxes.Count();

    public Axis AxisNamed(string name) => Axes.First(axis => axis.Name == name);

    public Tensor InputNamed(string name) => Inputs.First(tensor => tensor.Name == name);

    /// <summary>Number of points in the reduction domain (1 when there is no reduction).</summary>
    public long ReductionLength => ReduceAxes.Aggregate(1L, (product, axis) => product * axis.Extent);

    /// <summary>Multiply-adds (or comparisons) in the whole iteration space.</summary>
    public long IterationPoints => Output.ElementCount * ReductionLength;

    /// <summary>The reads of the body that touch each input, used by the tile footprint analysis.</summary>
    public IEnumerable<TensorRead> BodyReads => Body.Reads();
}
