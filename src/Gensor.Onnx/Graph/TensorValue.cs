using Gensor.Etir;

namespace Gensor.Onnx.Graph;

/// <summary>
/// What the importer knows about one named value of the graph: its static
/// shape, its element type, its values when they are constant, and whether it
/// is known never to be negative (which makes zero padding exact for max pooling).
/// </summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="Shape">Its static shape; empty for a scalar.</param>
/// <param name="ElementType">The ONNX <c>TensorProto.DataType</c> code (1 is float32).</param>
/// <param name="Constant">Its values, when known at import; else null.</param>
/// <param name="NonNegative">Whether every element is known to be at least 0.</param>
public sealed record TensorValue(string Name, ValueArray<long> Shape, int ElementType, ConstantTensor? Constant = null, bool NonNegative = false)
{
    public const int Float = 1;

    public const int Int64 = 7;

    public const int Bool = 9;

    public long ElementCount => Shape.Aggregate(1L, (product, extent) => product * extent);

    public int Rank => Shape.Count;

    public bool IsConstant => Constant is not null;

    public override string ToString() => $"{Name} [{string.Join("x", Shape)}]";
}
