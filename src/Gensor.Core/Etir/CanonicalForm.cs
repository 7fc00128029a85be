using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gensor.Etir;

/// <summary>
/// An operator with its names taken out: spatial axes renamed <c>s0, s1, ...</c>
/// in output order, reduce axes <c>r0, r1, ...</c>, the output tensor <c>T0</c>
/// and the inputs <c>T1, T2, ...</c> in order of first read. Two operators that
/// differ only in names have the same <see cref="Text"/> and <see cref="Hash"/>,
/// so a tuning record made for one is valid for the other. Schedules name
/// staged inputs, so they are translated with <see cref="ToCanonical"/> before
/// they are stored and with <see cref="FromCanonical"/> when they are reused.
/// </summary>
public sealed class CanonicalForm
{
    private readonly Dictionary<string, string> _toCanonical;
    private readonly Dictionary<string, string> _fromCanonical;

    private CanonicalForm(string text, Dictionary<string, string> toCanonical)
    {
        Text = text;
        Hash = HashOf(text);
        _toCanonical = toCanonical;
        _fromCanonical = toCanonical.ToDictionary(pair => pair.Value, pair => pair.Key);
    }

    /// <summary>The renamed operator as one line: statement, epilogue, extents and tensor shapes.</summary>
    public string Text { get; }

    /// <summary>The first 16 hex digits of the SHA-256 of <see cref="Text"/>.</summary>
    public string Hash { get; }

    /// <summary>The canonical form of <paramref name="op"/>.</summary>
    public static CanonicalForm Of(Operator op)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var spatial = 0;
        var reduce = 0;
        foreach (var axis in op.Axes)
        {
            names[axis.Name] = axis.Kind == AxisKind.Spatial ? $"s{spatial++}" : $"r{reduce++}";
        }
        // Tensor and axis names may collide in a spec (a tensor named like an axis is legal),
        // so each kind gets its own map.
        var tensors = new Dictionary<string, string>(StringComparer.Ordinal) { [op.Output.Name] = "T0" };
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            tensors[op.Inputs[i].Name] = $"T{i + 1}";
        }

        var assign = op.Reduction.Assignment();
        var output = $"T0[{string.Join(",", op.SpatialAxes.Select(a => names[a.Name]))}]";
        var text = new StringBuilder();
        text.Append(output).Append(' ').Append(assign).Append(' ').Append(Rename(op.Body, names, tensors));
        text.Append("; epilogue ").Append(op.Epilogue is null ? "-" : Rename(op.Epilogue, names, tensors).ToString());
        text.Append("; extents ").Append(string.Join(",", op.Axes.Select(a => $"{names[a.Name]}={Int(a.Extent)}")));
        text.Append("; shapes ").Append(string.Join(",", new[] { op.Output }.Concat(op.Inputs)
            .Select(t => $"{tensors[t.Name]}[{string.Join("x", t.Shape.Select(Int))}]")));
        // Types are written only when some tensor is not float32, so float32 operators keep the
        // text (and hash, and records) they had before element types existed.
        if (!op.AllFloat32)
        {
            text.Append("; types ").Append(string.Join(",", new[] { op.Output }.Concat(op.Inputs)
                .Select(t => $"{tensors[t.Name]}={t.Type.Name()}")));
        }
        return new CanonicalForm(text.ToString(), tensors);
    }

    /// <summary>The schedule with staged inputs named canonically (<c>shared=T1,T2</c>).</summary>
    public Schedule ToCanonical(Schedule schedule) => Rename(schedule, _toCanonical);

    /// <summary>A canonically named schedule with the operator's own tensor names.</summary>
    public Schedule FromCanonical(Schedule schedule) => Rename(schedule, _fromCanonical);

    private static Schedule Rename(Schedule schedule, Dictionary<string, string> map) =>
        schedule with { SharedInputs = ValueArray.From(schedule.SharedInputs.Select(name => map.GetValueOrDefault(name, name))) };

    private static Expr Rename(Expr expr, Dictionary<string, string> axes, Dictionary<string, string> tensors) => expr switch
    {
        TensorRead read => new TensorRead(
            tensors[read.Tensor],
            ValueArray.From(read.Indices.Select(index => index with
            {
                Terms = ValueArray.From(index.Terms.Select(term => term with { Axis = axes[term.Axis] })),
            }))),
        Unary unary => unary with { Operand = Rename(unary.Operand, axes, tensors) },
        Binary binary => binary with { Left = Rename(binary.Left, axes, tensors), Right = Rename(binary.Right, axes, tensors) },
        _ => expr,
    };

    /// <summary>The hash of a canonical text: the first 16 hex digits of its SHA-256 (what <see cref="Hash"/> is).</summary>
    public static string HashOf(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
