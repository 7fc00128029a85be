using System.Globalization;
using System.Text.Json;
using Gensor.Diagnostics;
using Gensor.Files;

namespace Gensor.FrontEnd;

/// <summary>
/// Reads operator specs: JSON files holding one operator object or an array of
/// them (a suite), and the inline <c>--compute</c>/<c>--shape</c> options. It
/// checks only the JSON's shape; the expression is checked by <see cref="OperatorBuilder"/>.
/// </summary>
public static class SpecReader
{
    private const string _inlineSource = "--compute";

    /// <summary>The largest spec or suite file read: far above any real suite, far below what would exhaust memory.</summary>
    public const long MaxFileBytes = 64L << 20;

    private static readonly string[] _fields = ["name", "compute", "shape", "tensors", "dtype", "dtypes", "epilogue", "count", "onnx_op", "nodes"];

    /// <summary>Reads every operator in a spec file.</summary>
    /// <exception cref="GensorException">BadInput, with a message starting with <paramref name="path"/>.</exception>
    public static IReadOnlyList<OperatorSpec> ReadFile(string path)
    {
        return Read(InputFile.ReadText(path, "spec file", MaxFileBytes), Printable.Text(path));
    }

    /// <summary>Reads operators from JSON text; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<OperatorSpec> Read(string json, string source)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw GensorException.BadInput($"{source}: empty file (expected a JSON object or an array of them)");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new GensorException(GensorError.BadInput($"{source}: not valid JSON: {exception.Message}"), exception);
        }
        using (document)
        {
            var root = document.RootElement;
            if (JsonStrings.Problem(root) is { } strings)
            {
                throw GensorException.BadInput($"{source}: {strings}");
            }
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    return [ReadOperator(root, 1, source)];
                case JsonValueKind.Array:
                {
                    var specs = new List<OperatorSpec>();
                    foreach (var element in root.EnumerateArray())
                    {
                        var number = specs.Count + 1;
                        if (element.ValueKind != JsonValueKind.Object)
                        {
                            throw GensorException.BadInput($"{source}: operator {number} is {Describe(element)}, not a JSON object");
                        }
                        specs.Add(ReadOperator(element, number, source));
                    }
                    return specs.Count > 0
                        ? specs
                        : throw GensorException.BadInput($"{source}: empty array (expected at least one operator)");
                }
                default:
                    throw GensorException.BadInput($"{source}: top level is {Describe(root)}; expected a JSON object (one operator) or an array of them");
            }
        }
    }

    /// <summary>
    /// Builds a spec from <c>--compute "C[m,n] += ..." --shape m=128,n=128,k=128</c>.
    /// </summary>
    /// <exception cref="GensorException">BadInput naming <c>--shape</c> when the shape text is malformed.</exception>
    public static OperatorSpec FromInline(string compute, string shapeText, string? name, string? epilogue)
    {
        var shape = ParseShape(shapeText);
        if (name is not null)
        {
            Printable.CheckName(name, "--name");
        }
        return new(
            name ?? "inline",
            compute,
            shape,
            new Dictionary<string, IReadOnlyList<long>>(),
            "f32",
            epilogue,
            1,
            _inlineSource);
    }

    /// <summary>Reads <c>--shape m=128,n=128</c>: each index variable's extent, in the order given.</summary>
    /// <exception cref="GensorException">BadInput naming <c>--shape</c> when the text is malformed.</exception>
    public static IReadOnlyDictionary<string, long> ParseShape(string shapeText)
    {
        var shape = new Dictionary<string, long>();
        if (string.IsNullOrWhiteSpace(shapeText))
        {
            throw GensorException.BadInput("--shape: empty; expected NAME=EXTENT,... such as m=128,n=128");
        }
        foreach (var part in shapeText.Split(','))
        {
            var pieces = part.Split('=');
            if (pieces.Length != 2 || !IsIdentifier(pieces[0].Trim()))
            {
                throw GensorException.BadInput($"--shape: expected NAME=EXTENT but found '{part.Trim()}'");
            }
            var axis = pieces[0].Trim();
            var extentText = pieces[1].Trim();
            if (!long.TryParse(extentText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var extent))
            {
                throw GensorException.BadInput($"--shape: extent of '{axis}' is not an integer: '{extentText}'");
            }
            if (!shape.TryAdd(axis, extent))
            {
                throw GensorException.BadInput($"--shape: '{axis}' is given twice");
            }
        }
        return shape;
    }

    private static OperatorSpec ReadOperator(JsonElement element, int number, string source)
    {
        var where = $"{source}: operator {number}";
        var seen = new HashSet<string>();
        foreach (var property in element.EnumerateObject())
        {
            if (!_fields.Contains(property.Name))
            {
                throw GensorException.BadInput($"{source}: unknown field '{property.Name}' in operator {number} (expected {string.Join(", ", _fields)})");
            }
            if (!seen.Add(property.Name))
            {
                throw GensorException.BadInput($"{where}: field '{property.Name}' is given twice");
            }
        }
        var name = RequiredString(element, "name", where);
        Printable.CheckName(name, $"{where}: field 'name'");
        var compute = RequiredString(element, "compute", where);
        var shape = ReadShape(Required(element, "shape", where), where);
        var tensors = element.TryGetProperty("tensors", out var tensorsElement)
            ? ReadTensors(tensorsElement, where)
            : new Dictionary<string, IReadOnlyList<long>>();
        var dtype = OptionalString(element, "dtype", where) ?? "f32";
        var dtypes = element.TryGetProperty("dtypes", out var dtypesElement) ? ReadDtypes(dtypesElement, where) : null;
        var epilogue = OptionalString(element, "epilogue", where);
        var count = 1;
        if (element.TryGetProperty("count", out var countElement))
        {
            if (countElement.ValueKind != JsonValueKind.Number || !countElement.TryGetInt32(out count) || count <= 0)
            {
                var tooLarge = countElement.ValueKind == JsonValueKind.Number && countElement.TryGetInt64(out var wide) && wide > int.MaxValue;
                throw GensorException.BadInput(tooLarge
                    ? $"{where}: field 'count' is {Describe(countElement)}, too large (at most {int.MaxValue})"
                    : $"{where}: field 'count' must be a positive integer but is {Describe(countElement)}");
            }
        }
        // Provenance from `gensor import`: carried along for reports, never part of what is tuned.
        var onnxOp = OptionalString(element, "onnx_op", where);
        var nodes = element.TryGetProperty("nodes", out var nodesElement) ? ReadNodes(nodesElement, where) : null;
        return new OperatorSpec(name, compute, shape, tensors, dtype, epilogue, count, source, onnxOp, nodes, dtypes);
    }

    private static Dictionary<string, string> ReadDtypes(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw GensorException.BadInput($"{where}: field 'dtypes' must be an object of tensor name -> element type but is {Describe(element)}");
        }
        var dtypes = new Dictionary<string, string>();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw GensorException.BadInput($"{where}: dtypes '{property.Name}' must be a string but is {Describe(property.Value)}");
            }
            if (!dtypes.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw GensorException.BadInput($"{where}: dtypes gives '{property.Name}' twice");
            }
        }
        return dtypes;
    }

    private static string[] ReadNodes(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(node => node.ValueKind != JsonValueKind.String))
        {
            throw GensorException.BadInput($"{where}: field 'nodes' must be an array of node names (strings) but is {Describe(element)}");
        }
        return element.EnumerateArray().Select(node => node.GetString()!).ToArray();
    }

    private static Dictionary<string, long> ReadShape(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw GensorException.BadInput($"{where}: field 'shape' must be an object of index variable -> extent but is {Describe(element)}");
        }
        var shape = new Dictionary<string, long>();
        foreach (var property in element.EnumerateObject())
        {
            var extent = ReadInteger(property.Value, $"{where}: shape '{property.Name}'");
            if (!shape.TryAdd(property.Name, extent))
            {
                throw GensorException.BadInput($"{where}: shape gives '{property.Name}' twice");
            }
        }
        return shape;
    }

    private static Dictionary<string, IReadOnlyList<long>> ReadTensors(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw GensorException.BadInput($"{where}: field 'tensors' must be an object of tensor name -> array of extents but is {Describe(element)}");
        }
        var tensors = new Dictionary<string, IReadOnlyList<long>>();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                throw GensorException.BadInput($"{where}: tensors '{property.Name}' must be an array of extents but is {Describe(property.Value)}");
            }
            var extents = property.Value.EnumerateArray()
                .Select(value => ReadInteger(value, $"{where}: tensors '{property.Name}'"))
                .ToArray();
            if (!tensors.TryAdd(property.Name, extents))
            {
                throw GensorException.BadInput($"{where}: tensors gives '{property.Name}' twice");
            }
        }
        return tensors;
    }

    private static long ReadInteger(JsonElement element, string what)
    {
        // Sign is left to the builder, which reports a non-positive extent with the rest of its shape checks.
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
        {
            // An integer past 64 bits is a number .NET cannot hold as one: say it is too large, not that it is no integer.
            var tooLarge = element.ValueKind == JsonValueKind.Number && element.GetRawText().TrimStart('-').All(char.IsAsciiDigit);
            throw GensorException.BadInput(tooLarge
                ? $"{what} is {Describe(element)}, too large (at most {long.MaxValue})"
                : $"{what} must be an integer but is {Describe(element)}");
        }
        return value;
    }

    private static JsonElement Required(JsonElement element, string field, string where) =>
        element.TryGetProperty(field, out var value)
            ? value
            : throw GensorException.BadInput($"{where}: missing required field '{field}'");

    private static string RequiredString(JsonElement element, string field, string where)
    {
        var value = Required(element, field, where);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw GensorException.BadInput($"{where}: field '{field}' must be a string but is {Describe(value)}");
    }

    private static string? OptionalString(JsonElement element, string field, string where)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw GensorException.BadInput($"{where}: field '{field}' must be a string but is {Describe(value)}");
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static bool IsIdentifier(string text) =>
        text.Length > 0
        && (char.IsAsciiLetter(text[0]) || text[0] == '_')
        && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
