using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Onnx.Graph;

namespace Gensor.Onnx.Mapping;

/// <summary>
/// One Gensor operator while a model is imported: a rule creates it from a
/// compute node, and element-wise nodes that follow may still fold into it.
/// Every input it reads is bound to a value of the graph (or to a constant the
/// importer made), and each dimension of the ONNX output value has an index in
/// the operator's output axes, which is how broadcast operands are read.
/// </summary>
internal sealed class KernelDraft
{
    public const string Output = "O";

    private readonly List<(string Axis, long Extent)> _axes = [];
    private readonly List<KernelBinding> _inputs = [];
    private readonly Dictionary<string, bool> _nonNegativeValues = [];

    public KernelDraft(string name, string onnxOp, string node, IEnumerable<(string Axis, long Extent)> outputAxes, TensorValue output, IReadOnlyList<AffineIndex> outputDims)
    {
        Name = name;
        OnnxOp = onnxOp;
        Nodes.Add(node);
        _axes.AddRange(outputAxes);
        OutputAxes = _axes.Select(axis => axis.Axis).ToArray();
        OutputValue = output.Name;
        OutputShape = output.Shape;
        if (outputDims.Count != output.Rank)
        {
            throw new ArgumentException($"{outputDims.Count} output dimension indices for a rank-{output.Rank} output", nameof(outputDims));
        }
        OutputDims = outputDims;
    }

    public string Name { get; }

    public string OnnxOp { get; }

    /// <summary>The nodes this operator computes: the compute node, then each node folded in.</summary>
    public List<string> Nodes { get; } = [];

    public IReadOnlyList<string> OutputAxes { get; }

    public Reduction Reduction { get; set; } = Reduction.None;

    public Expr Body { get; set; } = new Constant(0);

    public Expr? Epilogue { get; set; }

    /// <summary>The graph value the operator's output is, after whatever was folded in.</summary>
    public string OutputValue { get; private set; }

    public ValueArray<long> OutputShape { get; }

    /// <summary>For each dimension of the ONNX output, its index in the output axes.</summary>
    public IReadOnlyList<AffineIndex> OutputDims { get; }

    public IReadOnlyList<KernelBinding> Inputs => _inputs;

    /// <summary>Iteration points: the product of all extents (multiply-adds for a convolution or product).</summary>
    public long IterationPoints => _axes.Aggregate(1L, (product, axis) => product * axis.Extent);

    /// <summary>
    /// The value an element-wise node folded into this operator would act on:
    /// the body of an <c>=</c> operator, else the epilogue (or the accumulated output).
    /// </summary>
    public Expr Current => Reduction == Reduction.None ? Body : Epilogue ?? AccumulatedRead;

    private Expr AccumulatedRead => Indices.Read(Output, OutputAxes.Select(Indices.Axis));

    public void AddReduceAxis(string axis, long extent) => _axes.Add((axis, extent));

    /// <summary>Replaces <see cref="Current"/>: an element-wise node now ends the operator, and its output is the operator's.</summary>
    public void Fold(Expr current, string node, string outputValue)
    {
        Set(current);
        Nodes.Add(node);
        OutputValue = outputValue;
    }

    public void Set(Expr current)
    {
        if (Reduction == Reduction.None)
        {
            Body = current;
        }
        else
        {
            Epilogue = current;
        }
    }

    /// <summary>
    /// The Gensor tensor that reads <paramref name="value"/> as <paramref name="view"/>
    /// (a reshaped view of the same row-major data); the same value in the same view
    /// is read through one tensor.
    /// </summary>
    public string Bind(string preferred, TensorValue value, IReadOnlyList<long> view)
    {
        var existing = _inputs.FirstOrDefault(input => input.Value == value.Name && input.View.SequenceEqual(view));
        if (existing is not null)
        {
            return existing.Tensor;
        }
        var name = preferred;
        for (var suffix = 2; name == Output || _inputs.Any(input => input.Tensor == name) || OutputAxes.Contains(name); suffix++)
        {
            name = $"{preferred}{suffix}";
        }
        _inputs.Add(new KernelBinding(name, value.Name, ValueArray.From(view)));
        _nonNegativeValues[name] = value.NonNegative;
        return name;
    }

    /// <summary>Whether <paramref name="shape"/> broadcasts to the output's shape without enlarging it.</summary>
    public bool Broadcasts(IReadOnlyList<long> shape)
    {
        if (shape.Count > OutputShape.Count)
        {
            return false;
        }
        var offset = OutputShape.Count - shape.Count;
        return shape.Select((extent, j) => extent == 1 || extent == OutputShape[offset + j]).All(ok => ok);
    }

    /// <summary>
    /// Reads <paramref name="operand"/> broadcast (numpy rules) against the output:
    /// a one-element constant becomes a literal; dimensions of extent 1 are left out
    /// of the view, so a bias of shape [C,1,1] reads as <c>bias[f]</c>.
    /// </summary>
    /// <exception cref="UnsupportedNodeException">The operand is larger than the output in some dimension.</exception>
    public Expr ReadBroadcast(string preferred, TensorValue operand, IReadOnlyList<long>? asShape = null)
    {
        var shape = asShape ?? operand.Shape;
        if (!Broadcasts(shape))
        {
            throw new UnsupportedNodeException($"'{operand.Name}' of shape [{string.Join("x", shape)}] does not broadcast to the output's [{string.Join("x", OutputShape)}]");
        }
        if (operand.Constant is { ElementCount: 1 } scalar)
        {
            return operand.ElementType == TensorValue.Float ? Literal.Of((float)scalar.Values[0]) : new Constant(scalar.Values[0]);
        }
        var offset = OutputShape.Count - shape.Count;
        var view = new List<long>();
        var indices = new List<AffineIndex>();
        for (var j = 0; j < shape.Count; j++)
        {
            if (shape[j] != 1)
            {
                view.Add(shape[j]);
                indices.Add(OutputDims[offset + j]);
            }
        }
        if (view.Count == 0)
        {
            view.Add(1);
            indices.Add(Indices.Constant(0));
        }
        return Indices.Read(Bind(preferred, operand, view), indices);
    }

    /// <summary>Whether the current output is known never to be negative.</summary>
    public bool OutputNonNegative()
    {
        bool Read(TensorRead read) => read.Tensor == Output
            ? Reduction != Reduction.None && ExpressionFacts.NonNegative(Body, Read)
            : _nonNegativeValues.GetValueOrDefault(read.Tensor);
        return ExpressionFacts.NonNegative(Current, Read);
    }

    public OperatorSpec ToSpec(string source)
    {
        var assign = Reduction switch { Reduction.Sum => "+=", Reduction.Max => "max=", _ => "=" };
        var compute = $"{Output}[{string.Join(",", OutputAxes)}] {assign} {ExpressionText.Format(Body)}";
        var used = Body.Reads().Concat(Epilogue?.Reads() ?? []).SelectMany(read => read.Indices).SelectMany(index => index.Terms).Select(term => term.Axis).ToHashSet();
        // Every axis a rule declared appears in the output or in a read; a declared but unused axis is a rule's bug.
        var shape = _axes.Where(axis => OutputAxes.Contains(axis.Axis) || used.Contains(axis.Axis)).ToDictionary(axis => axis.Axis, axis => axis.Extent);
        var readTensors = Body.Reads().Concat(Epilogue?.Reads() ?? []).Select(read => read.Tensor).ToHashSet();
        var tensors = _inputs.Where(input => readTensors.Contains(input.Tensor))
            .ToDictionary(input => input.Tensor, input => (IReadOnlyList<long>)input.View.ToArray());
        var epilogue = Epilogue is null ? null : ExpressionText.Format(Epilogue);
        return new OperatorSpec(Name, compute, shape, tensors, "float32", epilogue, 1, source, OnnxOp, Nodes.ToArray());
    }
}
