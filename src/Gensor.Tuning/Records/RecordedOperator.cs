using System.Globalization;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Tuning.Records;

/// <summary>
/// The operator a record stands for, rebuilt from its canonical text
/// (<see cref="CanonicalForm.Text"/>: statement, epilogue, extents, shapes and
/// the element types when some tensor is not float32).
/// A record then needs no spec file to be estimated again, which is what
/// <c>gensor calibrate</c> does with every record under each trial profile.
/// </summary>
public static class RecordedOperator
{
    private const string EpilogueMark = "; epilogue ";
    private const string ExtentsMark = "; extents ";
    private const string ShapesMark = "; shapes ";
    private const string TypesMark = "; types ";

    /// <summary>
    /// The operator of <paramref name="canonicalText"/>, or null when the text does
    /// not parse or rebuilds to an operator whose canonical hash is not
    /// <paramref name="opHash"/> (a record of another version of the form).
    /// </summary>
    public static Operator? TryRebuild(string canonicalText, string opHash)
    {
        var epilogueAt = canonicalText.IndexOf(EpilogueMark, StringComparison.Ordinal);
        var extentsAt = canonicalText.IndexOf(ExtentsMark, StringComparison.Ordinal);
        var shapesAt = canonicalText.IndexOf(ShapesMark, StringComparison.Ordinal);
        if (epilogueAt < 0 || extentsAt < epilogueAt || shapesAt < extentsAt)
        {
            return null;
        }
        var statement = canonicalText[..epilogueAt];
        var epilogue = canonicalText[(epilogueAt + EpilogueMark.Length)..extentsAt];
        var extents = canonicalText[(extentsAt + ExtentsMark.Length)..shapesAt];
        var typesAt = canonicalText.IndexOf(TypesMark, shapesAt, StringComparison.Ordinal);
        var shapes = canonicalText[(shapesAt + ShapesMark.Length)..(typesAt < 0 ? canonicalText.Length : typesAt)];
        try
        {
            var shape = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var pair in extents.Split(','))
            {
                var parts = pair.Split('=');
                shape[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            var tensors = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
            foreach (var tensor in shapes.Split("],", StringSplitOptions.RemoveEmptyEntries))
            {
                var open = tensor.IndexOf('[');
                var dims = tensor[(open + 1)..].TrimEnd(']');
                tensors[tensor[..open]] = dims.Split('x').Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
            }
            Dictionary<string, string>? types = null;
            if (typesAt >= 0)
            {
                types = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var pair in canonicalText[(typesAt + TypesMark.Length)..].Split(','))
                {
                    var parts = pair.Split('=');
                    types[parts[0]] = parts[1];
                }
            }
            var spec = new OperatorSpec("record", statement, shape, tensors, "float32", epilogue == "-" ? null : epilogue, 1, "record", Dtypes: types);
            var op = OperatorBuilder.Build(spec);
            return CanonicalForm.Of(op).Hash == opHash ? op : null;
        }
        catch (Exception error) when (error is GensorException or FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            return null;
        }
    }
}
