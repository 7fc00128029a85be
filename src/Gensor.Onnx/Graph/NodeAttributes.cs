using Onnx;

namespace Gensor.Onnx.Graph;

/// <summary>Typed access to a node's attributes, with the defaults the ONNX operator schemas give.</summary>
public static class NodeAttributes
{
    public static AttributeProto? Find(this NodeProto node, string name) => node.Attribute.FirstOrDefault(attribute => attribute.Name == name);

    public static long Int(this NodeProto node, string name, long fallback) => node.Find(name) is { } attribute ? attribute.I : fallback;

    public static float Float(this NodeProto node, string name, float fallback) => node.Find(name) is { } attribute ? attribute.F : fallback;

    public static string String(this NodeProto node, string name, string fallback) =>
        node.Find(name) is { } attribute ? attribute.S.ToStringUtf8() : fallback;

    /// <summary>An integer-list attribute, or null when the node does not give it.</summary>
    public static long[]? Ints(this NodeProto node, string name) => node.Find(name) is { } attribute ? attribute.Ints.ToArray() : null;

    public static TensorProto? Tensor(this NodeProto node, string name) => node.Find(name)?.T;

    /// <summary>The input at <paramref name="index"/>, or null when it is absent or left empty (an omitted optional input).</summary>
    public static string? InputAt(this NodeProto node, int index) =>
        index < node.Input.Count && node.Input[index].Length > 0 ? node.Input[index] : null;

    /// <summary>The output at <paramref name="index"/>, or null when it is absent or left empty.</summary>
    public static string? OutputAt(this NodeProto node, int index) =>
        index < node.Output.Count && node.Output[index].Length > 0 ? node.Output[index] : null;
}
