using System.Globalization;
using Gensor.Etir;

namespace Gensor.FrontEnd;

/// <summary>
/// The inverse of <see cref="OperatorBuilder"/>: a spec whose text builds the
/// same operator again, with every tensor shape explicit. Used to hand an
/// operator to another process (the isolated measurement worker).
/// </summary>
public static class OperatorSpecWriter
{
    public static OperatorSpec ToSpec(Operator op, string source = "(operator)")
    {
        var assign = op.Reduction.Assignment();
        var compute = $"{op.Output.Name}[{string.Join(",", op.SpatialAxes.Select(a => a.Name))}] {assign} {op.Body}";
        var shape = op.Axes.ToDictionary(a => a.Name, a => (long)a.Extent);
        var tensors = op.Inputs.ToDictionary(t => t.Name, t => (IReadOnlyList<long>)t.Shape.Select(d => (long)d).ToArray());
        return new OperatorSpec(op.Name, compute, shape, tensors, "float32", op.Epilogue?.ToString(), 1, source);
    }

    /// <summary>The spec as the JSON object a spec file holds.</summary>
    public static string ToJson(OperatorSpec spec)
    {
        using var stream = new MemoryStream();
        // Relaxed escaping keeps "+=" and "<" readable in suite files; the text is still valid JSON.
        var options = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new System.Text.Json.Utf8JsonWriter(stream, options))
        {
            json.WriteStartObject();
            json.WriteString("name", spec.Name);
            json.WriteString("compute", spec.Compute);
            json.WriteStartObject("shape");
            foreach (var (axis, extent) in spec.Shape)
            {
                json.WriteNumber(axis, extent);
            }
            json.WriteEndObject();
            if (spec.Tensors.Count > 0)
            {
                json.WriteStartObject("tensors");
                foreach (var (tensor, dims) in spec.Tensors)
                {
                    json.WriteStartArray(tensor);
                    foreach (var dim in dims)
                    {
                        json.WriteNumberValue(dim);
                    }
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            if (spec.Epilogue is not null)
            {
                json.WriteString("epilogue", spec.Epilogue);
            }
            if (spec.Count != 1)
            {
                json.WriteNumber("count", spec.Count);
            }
            if (spec.OnnxOp is not null)
            {
                json.WriteString("onnx_op", spec.OnnxOp);
            }
            if (spec.Nodes is not null)
            {
                json.WriteStartArray("nodes");
                foreach (var node in spec.Nodes)
                {
                    json.WriteStringValue(node);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// A suite file's text: a JSON array with one operator object a line, as in
    /// <c>samples/suites/</c>, so that diffs of a regenerated suite stay readable.
    /// </summary>
    public static string ToSuiteJson(IEnumerable<OperatorSpec> specs) =>
        "[\n" + string.Join(",\n", specs.Select(spec => "  " + ToJson(spec))) + "\n]\n";
}
