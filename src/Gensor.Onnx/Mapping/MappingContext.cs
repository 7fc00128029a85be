using Gensor.Etir;
using Gensor.Onnx.Graph;
using Onnx;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// What a mapping rule sees of the import in progress: the values known so far,
/// the opset, a way to add constants the importer computes (folded batch
/// normalization, pooling divisors), and warnings for the user.
/// </summary>
internal sealed class MappingContext(int opset, Dictionary<string, TensorValue> values, List<string> warnings)
{
    public int Opset { get; } = opset;

    /// <summary>The value named <paramref name="name"/>.</summary>
    /// <exception cref="UnsupportedNodeException">Its shape is not known (it comes from an unsupported node).</exception>
    public TensorValue Value(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new UnsupportedNodeException($"the shape of input '{name}' is not known (it comes from a node that is not supported)");

    /// <summary>The node's input at <paramref name="index"/>, or null when the optional input is omitted.</summary>
    public TensorValue? Input(NodeProto node, int index) => node.InputAt(index) is { } name ? Value(name) : null;

    /// <summary>The node's input at <paramref name="index"/>, which must be given and be float32.</summary>
    public TensorValue FloatInput(NodeProto node, int index)
    {
        var value = Input(node, index) ?? throw new UnsupportedNodeException($"input {index + 1} is missing");
        return value.ElementType == TensorValue.Float
            ? value
            : throw new UnsupportedNodeException($"input '{value.Name}' has element type {value.ElementType}; Gensor operators compute float32");
    }

    /// <summary>
    /// The node's optional input at <paramref name="index"/>: null when omitted, else it must be float32
    /// like <see cref="FloatInput"/> (a bias of another type imported and failed only in the reference run).
    /// </summary>
    public TensorValue? OptionalFloatInput(NodeProto node, int index) => node.InputAt(index) is null ? null : FloatInput(node, index);

    /// <summary>A one-element constant input's value, or <paramref name="fallback"/> when it is omitted.</summary>
    public double ScalarInput(NodeProto node, int index, double fallback)
    {
        if (Input(node, index) is not { } value)
        {
            return fallback;
        }
        return value.Constant is { ElementCount: 1 } constant
            ? constant.Values[0]
            : throw new UnsupportedNodeException($"input '{value.Name}' must be a one-element constant");
    }

    /// <summary>Adds a value (a constant the importer computed, or an operator's intermediate result).</summary>
    public TensorValue Define(TensorValue value)
    {
        values[value.Name] = value;
        return value;
    }

    public TensorValue DefineConstant(string name, IReadOnlyList<long> shape, Func<double[]> compute, bool nonNegative = false) =>
        Define(new TensorValue(name, ValueArray.From(shape), TensorValue.Float, new ConstantTensor(shape, compute), nonNegative));

    public void Warn(string message) => warnings.Add(message);
}
