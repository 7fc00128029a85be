namespace Gensor.Onnx.Mapping;

/// <summary>
/// Raised by a mapping rule for a node it cannot express (an attribute value,
/// a shape, a missing constant); the importer lists the node as unsupported
/// with this reason instead of dropping it.
/// </summary>
public sealed class UnsupportedNodeException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}
