using Gensor.Diagnostics;
using Gensor.Etir;

namespace Gensor.FrontEnd;

/// <summary>
/// Turns an <see cref="OperatorSpec"/> into an <see cref="Operator"/>: parses the
/// compute statement and epilogue, infers spatial and reduce axes and tensor
/// shapes, and rejects anything the later stages could not run.
/// </summary>
public static class OperatorBuilder
{
    /// <summary>Parses and validates one operator.</summary>
    /// <exception cref="GensorException">BadInput, with a message starting with the spec's source.</exception>
    public static Operator Build(OperatorSpec spec)
    {
        var source = spec.Source;
        var dtype = ElementTypes.Parse(spec.Dtype)
            ?? throw Fail(source, $"unknown dtype '{spec.Dtype}' (expected {ElementTypes.Accepted})");
        var statement = Parse(source, () => ExpressionParser.ParseCompute(spec.Compute));
        var epilogue = spec.Epilogue is null ? null : Parse(source, () => ExpressionParser.ParseEpilogue(spec.Epilogue));
        var output = statement.Output;
        var spatial = statement.OutputAxes.ToList();

        var bodyReads = statement.Body.Reads().ToList();
        if (bodyReads.Any(read => read.Tensor == output))
        {
            throw Fail(source, $"the body reads the output '{output}'; use '+=' or 'max=' to accumulate into it, or read it in the epilogue");
        }
        var reduce = new List<string>();
        foreach (var axis in bodyReads.SelectMany(read => read.Indices).SelectMany(index => index.Terms).Select(term => term.Axis))
        {
            if (!spatial.Contains(axis) && !reduce.Contains(axis))
            {
                reduce.Add(axis);
            }
        }
        if (statement.Reduction == Reduction.None && reduce.Count > 0)
        {
            throw Fail(source, $"index variable '{reduce[0]}' appears only on the right of '='; use '+=' or 'max=' to reduce over it");
        }

        var epilogueReads = epilogue?.Reads().ToList() ?? [];
        if (epilogue is not null)
        {
            CheckEpilogue(source, output, spatial, epilogueReads);
        }

        var axes = BuildAxes(spec, spatial, reduce);
        var extents = axes.ToDictionary(axis => axis.Name, axis => (long)axis.Extent);
        CheckNameClashes(source, output, extents.Keys, bodyReads.Concat(epilogueReads));

        var outputShape = spatial.Select(axis => (int)extents[axis]).ToArray();
        CheckElementCount(source, $"the output '{output}'", outputShape.Select(extent => (long)extent));
        if (spec.Tensors.TryGetValue(output, out var givenOutput) && !givenOutput.SequenceEqual(outputShape.Select(extent => (long)extent)))
        {
            throw Fail(source, $"tensor '{output}' has shape {Format(givenOutput)} but the output's extents are {Format(outputShape.Select(extent => (long)extent))}");
        }

        var inputs = new List<Tensor>();
        var allReads = bodyReads.Concat(epilogueReads.Where(read => read.Tensor != output)).ToList();
        foreach (var name in allReads.Select(read => read.Tensor).Distinct())
        {
            var reads = allReads.Where(read => read.Tensor == name).ToList();
            inputs.Add(new Tensor(name, InputShape(spec, name, reads, extents)));
        }
        foreach (var name in spec.Tensors.Keys)
        {
            if (name != output && inputs.All(tensor => tensor.Name != name))
            {
                throw Fail(source, $"tensors gives a shape for '{name}' but the expression does not read it");
            }
        }

        var types = TensorTypes(spec, dtype, inputs.Select(tensor => tensor.Name).Prepend(output));
        // Axes that are one contiguous run in every tensor become one axis (a 1x1 convolution's
        // pixels), so that construction can tile and vectorize along the whole run.
        return AxisFusion.Apply(new Operator(
            spec.Name,
            new Tensor(output, ValueArray.From(outputShape)) { Type = types[output] },
            ValueArray.From(axes),
            ValueArray.From(inputs.Select(tensor => tensor with { Type = types[tensor.Name] })),
            statement.Reduction,
            statement.Body,
            epilogue));
    }

    /// <summary>Every tensor's type: its entry in <c>dtypes</c>, else the spec's <c>dtype</c>.</summary>
    private static Dictionary<string, ElementType> TensorTypes(OperatorSpec spec, ElementType dtype, IEnumerable<string> tensors)
    {
        var names = tensors.ToList();
        var types = names.ToDictionary(name => name, _ => dtype);
        foreach (var (name, text) in spec.Dtypes ?? new Dictionary<string, string>())
        {
            if (!types.ContainsKey(name))
            {
                throw Fail(spec.Source, $"dtypes gives a type for '{name}' but the expression has no such tensor (tensors: {string.Join(", ", names)})");
            }
            types[name] = ElementTypes.Parse(text)
                ?? throw Fail(spec.Source, $"dtypes: unknown type '{text}' for '{name}' (expected {ElementTypes.Accepted})");
        }
        return types;
    }

    private static T Parse<T>(string source, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (GensorException exception)
        {
            throw new GensorException(GensorError.BadInput($"{source}: {exception.Error.Message}"), exception);
        }
    }

    private static void CheckEpilogue(string source, string output, List<string> spatial, List<TensorRead> reads)
    {
        // An epilogue is a function of the accumulated value: one that never reads the
        // output would throw the whole reduction away (relu(D[m,n]) for C[m,n] += ...).
        if (reads.All(read => read.Tensor != output))
        {
            var named = reads.Count == 0 ? "no tensor" : string.Join(", ", reads.Select(read => read.Tensor).Distinct());
            throw Fail(source, $"the epilogue reads {named} but not the output {output}, so it would discard what the operator computes; write it in terms of {output}[{string.Join(",", spatial)}], e.g. relu({output}[{string.Join(",", spatial)}])");
        }
        foreach (var read in reads)
        {
            if (read.Tensor == output)
            {
                // The epilogue sees only the accumulated element of the current point, never a neighbour.
                var plain = read.Indices.Select(index => index.PlainAxis).ToList();
                if (!plain.SequenceEqual(spatial))
                {
                    throw Fail(source, $"the epilogue reads the output as {read}; it may only read {output}[{string.Join(",", spatial)}]");
                }
                continue;
            }
            foreach (var term in read.Indices.SelectMany(index => index.Terms))
            {
                if (!spatial.Contains(term.Axis))
                {
                    throw Fail(source, $"the epilogue reads {read}, but '{term.Axis}' is not an output index (the epilogue runs once per output element)");
                }
            }
        }
    }

    private static List<Axis> BuildAxes(OperatorSpec spec, List<string> spatial, List<string> reduce)
    {
        var source = spec.Source;
        var used = spatial.Concat(reduce).ToList();
        foreach (var name in used)
        {
            if (!spec.Shape.ContainsKey(name))
            {
                throw Fail(source, $"index variable '{name}' has no extent in shape");
            }
        }
        foreach (var name in spec.Shape.Keys)
        {
            if (!used.Contains(name))
            {
                throw Fail(source, $"shape gives '{name}' but the expression does not use it");
            }
        }
        var axes = new List<Axis>();
        foreach (var name in used)
        {
            var extent = spec.Shape[name];
            if (extent <= 0)
            {
                throw Fail(source, $"index variable '{name}' has zero or negative extent {extent}");
            }
            if (extent > int.MaxValue)
            {
                throw Fail(source, $"extents overflow: '{name}' = {extent} does not fit in 32 bits");
            }
            axes.Add(new Axis(name, (int)extent, spatial.Contains(name) ? AxisKind.Spatial : AxisKind.Reduce));
        }
        try
        {
            _ = axes.Aggregate(1L, (product, axis) => checked(product * axis.Extent));
        }
        catch (OverflowException)
        {
            throw Fail(source, $"extents overflow: the iteration space ({string.Join(" x ", axes.Select(axis => axis.Extent))}) has more than {long.MaxValue} points");
        }
        return axes;
    }

    private static void CheckNameClashes(string source, string output, IEnumerable<string> axes, IEnumerable<TensorRead> reads)
    {
        // Generated kernels name tensors and loop variables in one scope, so a name may be only one of them.
        var tensors = reads.Select(read => read.Tensor).Append(output).ToHashSet();
        foreach (var axis in axes)
        {
            if (tensors.Contains(axis))
            {
                throw Fail(source, $"'{axis}' is used both as a tensor and as an index variable");
            }
        }
    }

    private static ValueArray<int> InputShape(OperatorSpec spec, string name, List<TensorRead> reads, Dictionary<string, long> extents)
    {
        var source = spec.Source;
        var rank = reads[0].Indices.Count;
        if (reads.Any(read => read.Indices.Count != rank))
        {
            var other = reads.First(read => read.Indices.Count != rank);
            throw Fail(source, $"tensor '{name}' is read with {rank} indices as {reads[0]} but with {other.Indices.Count} as {other}");
        }
        long[] shape;
        if (spec.Tensors.TryGetValue(name, out var given))
        {
            if (given.Count != rank)
            {
                throw Fail(source, $"tensor '{name}' has shape {Format(given)} but is indexed with {rank} indices");
            }
            if (given.Any(extent => extent <= 0))
            {
                throw Fail(source, $"tensor '{name}' has a zero or negative extent in shape {Format(given)}");
            }
            shape = [.. given];
        }
        else
        {
            shape = new long[rank];
            for (var dimension = 0; dimension < rank; dimension++)
            {
                // Reads below 0 are padding and need no storage; the tensor must reach the largest index read.
                var max = reads.Max(read => read.Indices[dimension].Range(axis => extents[axis]).Max);
                if (max < 0)
                {
                    throw Fail(source, $"tensor '{name}' is read only at negative indices in dimension {dimension + 1}; give its shape in 'tensors'");
                }
                shape[dimension] = max + 1;
            }
        }
        CheckElementCount(source, $"tensor '{name}'", shape);
        return ValueArray.From(shape.Select(extent => (int)extent));
    }

    private static void CheckElementCount(string source, string what, IEnumerable<long> shape)
    {
        var dimensions = shape.ToList();
        try
        {
            var count = dimensions.Aggregate(1L, (product, extent) => checked(product * extent));
            if (count <= int.MaxValue)
            {
                return;
            }
        }
        catch (OverflowException)
        {
        }
        throw Fail(source, $"extents overflow: {what} of shape {Format(dimensions)} has more than {int.MaxValue} elements");
    }

    private static string Format(IEnumerable<long> shape) => $"[{string.Join(",", shape)}]";

    private static GensorException Fail(string source, string message) => GensorException.BadInput($"{source}: {message}");
}
