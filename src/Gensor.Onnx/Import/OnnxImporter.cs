using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Onnx.Graph;
using Gensor.Onnx.Loading;
using Gensor.Onnx.Mapping;
using Onnx;

namespace Gensor.Onnx.Import;

/// <summary>
/// Turns an ONNX model into Gensor operators, node by node in graph order:
/// constants are evaluated, layout nodes pass shapes on, compute nodes become
/// operators by rule, and element-wise nodes fold into the operator that
/// produced their input or become operators of their own. A node no rule maps
/// is listed as unsupported with its reason; none is dropped. Everything that
/// makes the model unusable as a whole (not ONNX, an opset outside what is
/// handled, a dynamic dimension with no value) is bad input.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The oldest default-domain opset handled: from 7 on, no operator here has the legacy broadcast or is_test attributes.</summary>
    public const int MinOpset = 7;

    /// <summary>The newest default-domain opset handled; later versions may change the semantics of operators mapped here.</summary>
    public const int MaxOpset = 23;

    /// <summary>
    /// Element-wise nodes fold into an operator whose expression is shallower than this; a deeper one ends there and the next
    /// node starts an operator of its own. A chain of 300 Neg nodes folded into one expression past the parser's nesting
    /// limit (the whole chain unsupported), and one of 20,000 overflowed the stack printing it (found by fuzzing); real
    /// epilogues (a GELU, a scale and shift) are a few levels deep.
    /// </summary>
    public const int MaxFoldedDepth = 64;

    private static readonly HashSet<string> _defaultDomains = ["", "ai.onnx"];

    /// <summary>Reads and imports a model file.</summary>
    /// <exception cref="GensorException">BadInput for a file that is not a usable model.</exception>
    public static ImportedModel Import(string path, ImportOptions options) => Import(OnnxModelFile.Read(path), options, path);

    /// <summary>Imports a parsed model; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="GensorException">BadInput for a model that is not usable as a whole.</exception>
    public static ImportedModel Import(ModelProto model, ImportOptions options, string source) => new Importer(model, options, source).Run();

    private sealed class Importer
    {
        private readonly ModelProto _model;
        private readonly GraphProto _graph;
        private readonly ImportOptions _options;
        private readonly string _source;
        private readonly Dictionary<string, TensorValue> _values = [];
        private readonly Dictionary<string, int> _consumers = [];
        private readonly Dictionary<string, KernelDraft> _producers = [];
        private readonly List<KernelDraft> _kernels = [];
        private readonly List<NodeAccount> _accounts = [];
        private readonly List<LayoutStep> _layout = [];
        private readonly List<string> _warnings = [];
        private readonly HashSet<string> _names = [];
        private int _opset;

        public Importer(ModelProto model, ImportOptions options, string source)
        {
            _model = model;
            _graph = model.Graph;
            _options = options;
            _source = source;
        }

        /// <summary>
        /// An ONNX graph assigns each value once: a value two nodes write (or a node writes over an input
        /// or initializer) has no one meaning, and was imported as two operators of the same name.
        /// </summary>
        private void CheckSingleAssignment()
        {
            var written = new HashSet<string>(_graph.Input.Select(input => input.Name).Concat(_graph.Initializer.Select(tensor => tensor.Name)), StringComparer.Ordinal);
            foreach (var node in _graph.Node)
            {
                foreach (var output in node.Output.Where(output => output.Length > 0))
                {
                    if (!written.Add(output))
                    {
                        throw Bad($"value '{Printable.Text(output)}' is assigned twice (node '{Printable.Text(node.Name)}' writes it again); an ONNX graph assigns each value once");
                    }
                }
            }
        }

        public ImportedModel Run()
        {
            _opset = DefaultOpset();
            foreach (var initializer in _graph.Initializer)
            {
                var tensor = initializer;
                // Values are decoded only when read, so check now that they are there: a weight with too few values
                // imported and failed only when something read it (found by fuzzing).
                if (TensorData.Problem(tensor) is { } problem)
                {
                    throw Bad($"initializer {problem}");
                }
                _values[tensor.Name] = new TensorValue(tensor.Name, ValueArray.From(tensor.Dims), tensor.DataType,
                    new ConstantTensor(tensor.Dims.ToArray(), () => TensorData.Decode(tensor)));
            }
            var inputs = ResolveInputs();
            CheckSingleAssignment();
            CountConsumers();
            var context = new MappingContext(_opset, _values, _warnings);
            for (var i = 0; i < _graph.Node.Count; i++)
            {
                ImportNode(i, _graph.Node[i], context);
            }
            var kernels = Finish();
            var outputs = _graph.Output.Select(output => output.Name).ToArray();
            return new ImportedModel(_source, _opset, inputs, outputs, kernels, _accounts, _layout, _values, _warnings);
        }

        private int DefaultOpset()
        {
            var import = _model.OpsetImport.FirstOrDefault(opset => _defaultDomains.Contains(opset.Domain))
                ?? throw Bad("the model imports no version of the default ONNX operator set");
            return import.Version switch
            {
                > MaxOpset => throw Bad($"opset {import.Version} is newer than gensor handles ({MinOpset} to {MaxOpset})"),
                < MinOpset => throw Bad($"opset {import.Version} is older than gensor handles ({MinOpset} to {MaxOpset})"),
                _ => (int)import.Version,
            };
        }

        /// <summary>
        /// Fixes the shape of every data input. Older models (IR below 4) list the
        /// initializers among the inputs too; those are constants, not inputs.
        /// </summary>
        private List<ModelInput> ResolveInputs()
        {
            var used = new HashSet<string>();
            var inputs = new List<ModelInput>();
            var declared = new HashSet<string>();
            foreach (var input in _graph.Input)
            {
                // The second of two inputs of one name was taken for an initializer and skipped, so the first's shape won
                // where ONNX Runtime refuses the model (found by fuzzing).
                if (!declared.Add(input.Name))
                {
                    throw Bad($"the graph declares input '{Printable.Text(input.Name)}' twice");
                }
                if (_values.ContainsKey(input.Name))
                {
                    continue;
                }
                var tensorType = input.Type?.TensorType ?? throw Bad($"input '{input.Name}' is not a tensor");
                if (tensorType.Shape is null)
                {
                    throw Bad($"input '{input.Name}' has no shape; gensor needs static shapes");
                }
                var dims = new long[tensorType.Shape.Dim.Count];
                for (var d = 0; d < dims.Length; d++)
                {
                    var dim = tensorType.Shape.Dim[d];
                    var param = dim.HasDimParam && dim.DimParam.Length > 0 ? dim.DimParam : null;
                    if (d == 0 && _options.Batch is { } batch)
                    {
                        dims[d] = batch;
                        if (param is not null)
                        {
                            // Both setting one dimension to different sizes: say so, rather than let --batch win in silence (found by fuzzing).
                            if (_options.Dims.TryGetValue(param, out var named) && named != batch)
                            {
                                throw Bad($"input '{input.Name}': --batch {batch} and --dim {param}={named} both set its dimension 1 ('{param}'); give one of them");
                            }
                            used.Add(param);
                        }
                        else if (dim.HasDimValue && dim.DimValue > 0 && dim.DimValue != batch)
                        {
                            _warnings.Add($"input '{input.Name}': --batch {batch} replaces the model's fixed batch {dim.DimValue}; nodes that fix it too (a Reshape to a constant shape) will not map");
                        }
                    }
                    else if (param is not null && _options.Dims.TryGetValue(param, out var given))
                    {
                        dims[d] = given;
                        used.Add(param);
                    }
                    else if (dim.HasDimValue && dim.DimValue > 0)
                    {
                        dims[d] = dim.DimValue;
                    }
                    else if (dim.HasDimValue && param is null)
                    {
                        // Static but not positive: it was called an unnamed dynamic dimension (found by fuzzing).
                        throw Bad($"input '{input.Name}' has extent {dim.DimValue} in dimension {d + 1}; gensor needs extents of at least 1");
                    }
                    else
                    {
                        var what = param is null ? "an unnamed dynamic dimension" : $"the dynamic dimension '{param}'";
                        var fix = d == 0 ? $"--batch SIZE{(param is null ? "" : $" or --dim {param}=SIZE")}" : param is null ? "a static shape in the model" : $"--dim {param}=SIZE";
                        throw Bad($"input '{input.Name}' has {what} (dimension {d + 1}); give it with {fix}");
                    }
                }
                _values[input.Name] = new TensorValue(input.Name, ValueArray.From(dims), tensorType.ElemType);
                inputs.Add(new ModelInput(input.Name, ValueArray.From(dims)));
            }
            foreach (var name in _options.Dims.Keys.Where(name => !used.Contains(name)))
            {
                throw Bad($"--dim {name}: no input of the model has a dimension named '{name}'");
            }
            return inputs;
        }

        private void CountConsumers()
        {
            var available = new HashSet<string>(_values.Keys);
            foreach (var node in _graph.Node)
            {
                foreach (var input in node.Input.Where(input => input.Length > 0).Distinct())
                {
                    _consumers[input] = _consumers.GetValueOrDefault(input) + 1;
                    if (!available.Contains(input))
                    {
                        var later = _graph.Node.Any(other => other.Output.Contains(input));
                        throw Bad(later
                            ? $"node '{NodeLabel(node)}' reads '{input}' before the node that produces it (the graph is not in topological order)"
                            : $"node '{NodeLabel(node)}' reads '{input}', which no node, input or initializer provides");
                    }
                }
                available.UnionWith(node.Output.Where(output => output.Length > 0));
            }
            // A graph output is read by the model's caller, so it must be stored as it is: nothing may fold into it.
            var outputs = new HashSet<string>();
            foreach (var output in _graph.Output)
            {
                if (!outputs.Add(output.Name))
                {
                    throw Bad($"the graph declares output '{Printable.Text(output.Name)}' twice");
                }
                // An output nothing computes had no data: the import went through and the reference run failed on it (found by fuzzing).
                if (!available.Contains(output.Name))
                {
                    throw Bad($"graph output '{Printable.Text(output.Name)}' is not produced by any node, input or initializer");
                }
                _consumers[output.Name] = _consumers.GetValueOrDefault(output.Name) + 1;
            }
        }

        private void ImportNode(int index, NodeProto node, MappingContext context)
        {
            var name = UniqueName(node, index);
            try
            {
                if (!_defaultDomains.Contains(node.Domain))
                {
                    throw new UnsupportedNodeException($"operator domain '{node.Domain}'");
                }
                if (node.Attribute.Any(attribute => attribute.G is not null || attribute.Graphs.Count > 0))
                {
                    throw new UnsupportedNodeException("control flow (a subgraph attribute)");
                }
                CheckArity(node);
                foreach (var input in node.Input.Where(input => input.Length > 0))
                {
                    context.Value(input);
                }
                if (ConstantFolding.TryFold(node, _opset, context.Value) is { } constants)
                {
                    Define(constants);
                    Account(index, name, node, NodeRole.Constant);
                }
                else if (LayoutOps.Handles(node.OpType))
                {
                    var (step, outputs) = LayoutOps.Infer(node, name, _opset, context.Value);
                    _layout.Add(step);
                    Define(outputs);
                    Account(index, name, node, NodeRole.Layout);
                }
                else if (Rule(node.OpType) is { } rule)
                {
                    var drafts = rule(node, name, context);
                    foreach (var draft in drafts)
                    {
                        _kernels.Add(draft);
                        Define([new TensorValue(draft.OutputValue, draft.OutputShape, TensorValue.Float, NonNegative: draft.OutputNonNegative())]);
                    }
                    // Only the last operator's output leaves the node; the others feed its later operators and must stay as they are.
                    _producers[drafts[^1].OutputValue] = drafts[^1];
                    Account(index, name, node, NodeRole.Kernel, drafts.Select(draft => draft.Name).ToArray());
                }
                else if (ElementwiseRule.Handles(node.OpType))
                {
                    ImportElementwise(index, name, node, context);
                }
                else
                {
                    throw new UnsupportedNodeException($"no Gensor mapping for {node.OpType}");
                }
            }
            catch (Exception exception) when (exception is UnsupportedNodeException or OverflowException or NotSupportedException)
            {
                // Checked arithmetic on a node's attributes (a pad of 2^40) overflows: the node is unsupported, not the import.
                // A constant it reads whose data cannot be decoded (too few values, an element type without numbers) is NotSupported.
                var reason = exception switch
                {
                    UnsupportedNodeException unsupported => unsupported.Reason,
                    NotSupportedException => $"a constant it reads cannot be decoded: {exception.Message}",
                    _ => "its attributes or shapes overflow 64-bit integers",
                };
                Account(index, name, node, NodeRole.Unsupported, [], reason);
                // Shapes the model states for the outputs keep the nodes after it importable.
                foreach (var output in node.Output.Where(output => output.Length > 0 && !_values.ContainsKey(output)))
                {
                    if (StatedShape(output) is { } stated)
                    {
                        _values[output] = stated;
                    }
                }
            }
        }

        /// <summary>
        /// The inputs an operator requires, and whether all of them may be given (variadic ones may not be omitted).
        /// A node missing one, or with no output, made the rules index past the end (exit 1, found by fuzzing); it is unsupported.
        /// </summary>
        private void CheckArity(NodeProto node)
        {
            if (node.OutputAt(0) is null)
            {
                throw new UnsupportedNodeException("no output");
            }
            var required = node.OpType switch
            {
                "Constant" => 0,
                "Conv" or "Gemm" or "MatMul" or "LayerNormalization" or "Add" or "Sub" or "Mul" or "Div" or "PRelu" or "Equal" or "Gather" or "Expand" or "Reshape" => 2,
                "Unsqueeze" when _opset >= 13 => 2,
                "Slice" when _opset >= 10 => 3,
                "Range" or "Where" => 3,
                "BatchNormalization" => 5,
                "ConstantOfShape" or "Shape" or "Size" or "Cast" or "Neg" or "Slice" => 1,
                _ when Rule(node.OpType) is not null || ElementwiseRule.Handles(node.OpType) || LayoutOps.Handles(node.OpType) => 1,
                _ => 0,
            };
            for (var i = 0; i < required; i++)
            {
                if (node.InputAt(i) is null)
                {
                    throw new UnsupportedNodeException($"required input {i + 1} is missing");
                }
            }
            if (node.OpType is "Sum" or "Max" or "Min" or "Mean" or "Concat" && node.Input.Any(input => input.Length == 0))
            {
                throw new UnsupportedNodeException("an omitted input (a variadic input must be given)");
            }
        }

        private void ImportElementwise(int index, string name, NodeProto node, MappingContext context)
        {
            var operands = ElementwiseRule.Operands(node, name, context);
            var shapes = operands.Where(o => o is not null).Select(o => (IReadOnlyList<long>)(o!.Value.AsShape ?? o.Value.Value.Shape.ToArray())).ToArray();
            var shape = Broadcast.Shapes(shapes) ?? throw new UnsupportedNodeException("input shapes do not broadcast");
            var output = node.Output[0];
            // Fold into the operator that produced an operand when this node is that value's only reader and works element by element on it.
            for (var slot = 0; slot < operands.Count; slot++)
            {
                if (operands[slot] is not { } operand
                    || !_producers.TryGetValue(operand.Value.Name, out var producer)
                    || _consumers.GetValueOrDefault(operand.Value.Name) != 1
                    || !operand.Value.Shape.SequenceEqual(shape)
                    || !operands.All(o => o is null || producer.Broadcasts(o.Value.AsShape ?? o.Value.Value.Shape.ToArray()))
                    || ExpressionFacts.Depth(producer.Current) >= MaxFoldedDepth)
                {
                    continue;
                }
                var folded = operand.Value.Name;
                var current = producer.Current;
                var expressions = operands.Select((o, i) => o is null ? null
                    : o.Value.Value.Name == folded ? current
                    : producer.ReadBroadcast(ElementwiseRule.TensorName(node, i), o.Value.Value, o.Value.AsShape)).ToArray();
                producer.Fold(ElementwiseRule.Combine(node, expressions), name, output);
                _producers.Remove(folded);
                _producers[output] = producer;
                Define([new TensorValue(output, ValueArray.From(shape), TensorValue.Float, NonNegative: producer.OutputNonNegative())]);
                Account(index, name, node, NodeRole.Fused, [producer.Name]);
                return;
            }
            var axes = Indices.Names("i", Math.Max(1, shape.Length));
            var value = new TensorValue(output, ValueArray.From(shape), TensorValue.Float);
            // A scalar result still needs one output axis, of extent 1.
            var extents = shape.Length == 0 ? [1L] : shape;
            var draft = new KernelDraft(name, node.OpType, name, axes.Zip(extents), value, shape.Length == 0 ? [] : axes.Select(Indices.Axis).ToArray());
            draft.Body = ElementwiseRule.Combine(node, operands.Select((o, i) => o is null ? null : draft.ReadBroadcast(ElementwiseRule.TensorName(node, i), o.Value.Value, o.Value.AsShape)).ToArray());
            _kernels.Add(draft);
            _producers[output] = draft;
            Define([value with { NonNegative = draft.OutputNonNegative() }]);
            Account(index, name, node, NodeRole.Kernel, [draft.Name]);
        }

        /// <summary>
        /// The operators' specs. One that the front end rejects (an extent past 32
        /// bits, say) makes its nodes unsupported rather than the import fail.
        /// </summary>
        private List<ImportedKernel> Finish()
        {
            var kernels = new List<ImportedKernel>();
            foreach (var draft in _kernels)
            {
                var spec = draft.ToSpec(_source);
                try
                {
                    OperatorBuilder.Build(spec);
                }
                catch (GensorException exception)
                {
                    for (var i = 0; i < _accounts.Count; i++)
                    {
                        if (_accounts[i].Kernels.Contains(draft.Name))
                        {
                            _accounts[i] = _accounts[i] with { Role = NodeRole.Unsupported, Kernels = [], Reason = exception.Error.Message };
                        }
                    }
                    continue;
                }
                kernels.Add(new ImportedKernel(spec, draft.Inputs, draft.OutputValue, draft.IterationPoints));
            }
            return kernels;
        }

        private static Func<NodeProto, string, MappingContext, IReadOnlyList<KernelDraft>>? Rule(string opType) => opType switch
        {
            "Conv" => ConvRule.Map,
            "Gemm" => GemmRule.Map,
            "MatMul" => MatMulRule.Map,
            "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" => PoolRule.Map,
            "Softmax" => SoftmaxRule.Map,
            "LayerNormalization" => LayerNormRule.Map,
            _ => null,
        };

        private void Define(IEnumerable<TensorValue> values)
        {
            foreach (var value in values)
            {
                _values[value.Name] = value;
            }
        }

        private void Account(int index, string name, NodeProto node, NodeRole role, IReadOnlyList<string>? kernels = null, string? reason = null) =>
            _accounts.Add(new NodeAccount(index, name, node.OpType, role, kernels ?? [], reason));

        private TensorValue? StatedShape(string name)
        {
            var info = _graph.ValueInfo.Concat(_graph.Output).FirstOrDefault(v => v.Name == name)?.Type?.TensorType;
            if (info?.Shape is null || info.Shape.Dim.Any(dim => !dim.HasDimValue || dim.DimValue <= 0))
            {
                return null;
            }
            return new TensorValue(name, ValueArray.From(info.Shape.Dim.Select(dim => dim.DimValue)), info.ElemType);
        }

        /// <summary>
        /// The node's name, or <c>OpType_Index</c>, as an operator name a suite may hold (control characters
        /// as '_', at most 100 characters); made unique, since kernels are named after nodes. A model's names
        /// went into the suite as they were, and batch then refused the suite (found by fuzzing).
        /// </summary>
        private string UniqueName(NodeProto node, int index)
        {
            var label = new string(NodeLabel(node, index).Select(c => Printable.HasControl(c.ToString()) ? '_' : c).ToArray());
            label = label.Length > 100 ? label[..100] : label;
            var name = label;
            // Also past a name another node already has with this suffix (nodes "conv_4" and "conv" at index 4).
            for (var k = 0; !_names.Add(name); k++)
            {
                name = k == 0 ? $"{label}_{index}" : $"{label}_{index}_{k}";
            }
            return name;
        }

        private string NodeLabel(NodeProto node, int? index = null) =>
            node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index ?? _graph.Node.IndexOf(node)}";

        private GensorException Bad(string message) => GensorException.BadInput($"{_source}: {message}");
    }
}
