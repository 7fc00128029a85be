namespace Gensor.Onnx.Graph;

/// <summary>
/// A tensor whose values are known when the model is imported: an initializer,
/// a <c>Constant</c>, or the output of a constant subgraph. Values are computed
/// on first use, so a large weight is never decoded unless something reads it.
/// Values are held as doubles: exact for the float32 weights and for the int64
/// shape arithmetic of real models (below 2^53).
/// </summary>
public sealed class ConstantTensor
{
    private readonly Lazy<double[]> _values;

    public ConstantTensor(IReadOnlyList<long> shape, Func<double[]> values)
    {
        Shape = shape.ToArray();
        _values = new Lazy<double[]>(() =>
        {
            var data = values();
            return data.LongLength == ElementCount
                ? data
                : throw new InvalidOperationException($"constant of shape [{string.Join(",", Shape)}] has {data.Length} values");
        });
    }

    public IReadOnlyList<long> Shape { get; }

    public long ElementCount => Shape.Aggregate(1L, (product, extent) => product * extent);

    /// <summary>The values, row-major; computed on first access.</summary>
    public double[] Values => _values.Value;

    public static ConstantTensor Of(IReadOnlyList<long> shape, double[] values) => new(shape, () => values);
}
