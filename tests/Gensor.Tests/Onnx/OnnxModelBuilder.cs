using Google.Protobuf;
using Onnx;

namespace Gensor.Tests.Onnx;

/// <summary>Builds small ONNX models in code, the way exporters write them (nodes in topological order).</summary>
public sealed class OnnxModelBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly ModelProto _model;
    private readonly Random _random = new(7);

    public OnnxModelBuilder(int opset = 13, long irVersion = 8)
    {
        _model = new ModelProto { IrVersion = irVersion, ProducerName = "gensor-tests", Graph = _graph };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public ModelProto Model => _model;

    /// <summary>A float32 data input; a string dimension is symbolic (dim_param), null is unknown.</summary>
    public OnnxModelBuilder Input(string name, params object?[] dims)
    {
        _graph.Input.Add(ValueInfo(name, 1, dims));
        return this;
    }

    public OnnxModelBuilder Output(string name, params object?[] dims)
    {
        _graph.Output.Add(ValueInfo(name, 1, dims));
        return this;
    }

    /// <summary>A shape the model states for an intermediate value (value_info).</summary>
    public OnnxModelBuilder ValueInfo(string name, params object?[] dims)
    {
        _graph.ValueInfo.Add(ValueInfo(name, 1, dims));
        return this;
    }

    /// <summary>Lists an initializer among the graph inputs too, as models of IR version 3 must.</summary>
    public OnnxModelBuilder InputForInitializer(string name, params object?[] dims)
    {
        _graph.Input.Add(ValueInfo(name, 1, dims));
        return this;
    }

    /// <summary>A float32 initializer with the given values, or uniform values in [-1, 1].</summary>
    public OnnxModelBuilder Weight(string name, long[] shape, float[]? values = null)
    {
        var count = (int)shape.Aggregate(1L, (p, e) => p * e);
        values ??= Enumerable.Range(0, count).Select(_ => (float)((_random.NextDouble() * 2) - 1)).ToArray();
        _graph.Initializer.Add(FloatTensor(name, shape, values));
        return this;
    }

    public OnnxModelBuilder Ints(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = 7 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>A node; attribute values: long/int, float, string, long[], float[] or a TensorProto.</summary>
    public OnnxModelBuilder Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes) =>
        NamedNode($"{op.ToLowerInvariant()}{_graph.Node.Count}", op, inputs, outputs, attributes);

    public OnnxModelBuilder NamedNode(string name, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        foreach (var (attributeName, value) in attributes)
        {
            node.Attribute.Add(Attribute(attributeName, value));
        }
        _graph.Node.Add(node);
        return this;
    }

    public byte[] Bytes() => _model.ToByteArray();

    public string Save(string directory, string file = "model.onnx")
    {
        var path = System.IO.Path.Combine(directory, file);
        File.WriteAllBytes(path, Bytes());
        return path;
    }

    public static TensorProto FloatTensor(string name, long[] shape, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = 1 };
        tensor.Dims.Add(shape);
        tensor.FloatData.Add(values);
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, int elementType, object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            var d = new TensorShapeProto.Types.Dimension();
            switch (dim)
            {
                case string param:
                    d.DimParam = param;
                    break;
                case null:
                    break;
                default:
                    d.DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
            shape.Dim.Add(d);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case int or long:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case float or double:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case string text:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(text);
                break;
            case long[] ints:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.Add(ints);
                break;
            case float[] floats:
                attribute.Type = AttributeProto.Types.AttributeType.Floats;
                attribute.Floats.Add(floats);
                break;
            case TensorProto tensor:
                attribute.Type = AttributeProto.Types.AttributeType.Tensor;
                attribute.T = tensor;
                break;
            default:
                throw new ArgumentException($"attribute {name}: unsupported value {value.GetType().Name}");
        }
        return attribute;
    }
}
