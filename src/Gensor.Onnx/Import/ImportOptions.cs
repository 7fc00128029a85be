namespace Gensor.Onnx.Import;

/// <summary>
/// How to fix the model's input shapes: <see cref="Batch"/> sets the first
/// dimension of every data input (symbolic or not), <see cref="Dims"/> sets
/// symbolic dimensions by name (<c>--dim seq=128</c>).
/// </summary>
public sealed record ImportOptions(long? Batch, IReadOnlyDictionary<string, long> Dims)
{
    public static ImportOptions Default { get; } = new(null, new Dictionary<string, long>());
}
