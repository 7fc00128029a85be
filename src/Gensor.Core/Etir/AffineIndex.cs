using System.Text;

namespace Gensor.Etir;

/// <summary>One term of an affine index: <c>Coefficient * Axis</c>.</summary>
public sealed record AffineTerm(string Axis, int Coefficient);

/// <summary>
/// An affine index expression over index variables, such as <c>y*2+r-1</c>:
/// a sum of integer multiples of axes plus a constant. Terms are kept in the
/// order written, with one term per axis and no zero coefficients.
/// </summary>
public sealed record AffineIndex(ValueArray<AffineTerm> Terms, int Constant)
{
    /// <summary>The index that is exactly one axis, as every output index must be.</summary>
    public static AffineIndex OfAxis(string axis) => new(ValueArray.Of(new AffineTerm(axis, 1)), 0);

    /// <summary>The axis this index is, when it is a plain variable; otherwise null.</summary>
    public string? PlainAxis => Terms.Count == 1 && Terms[0].Coefficient == 1 && Constant == 0 ? Terms[0].Axis : null;

    public int CoefficientOf(string axis)
    {
        foreach (var term in Terms)
        {
            if (term.Axis == axis)
            {
                return term.Coefficient;
            }
        }
        return 0;
    }

    public bool Uses(string axis) => CoefficientOf(axis) != 0;

    /// <summary>The value of the index given a value for each axis it uses.</summary>
    public long Evaluate(Func<string, long> axisValue)
    {
        long value = Constant;
        foreach (var term in Terms)
        {
            value += (long)term.Coefficient * axisValue(term.Axis);
        }
        return value;
    }

    /// <summary>Smallest and largest value over axes ranging over [0, extent-1].</summary>
    public (long Min, long Max) Range(Func<string, long> extent)
    {
        long min = Constant, max = Constant;
        foreach (var term in Terms)
        {
            var span = (long)term.Coefficient * (extent(term.Axis) - 1);
            if (span >= 0)
            {
                max += span;
            }
            else
            {
                min += span;
            }
        }
        return (min, max);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var term in Terms)
        {
            if (text.Length > 0)
            {
                text.Append(term.Coefficient < 0 ? "-" : "+");
            }
            else if (term.Coefficient < 0)
            {
                text.Append('-');
            }
            text.Append(term.Axis);
            // As a long: the magnitude of int.MinValue is no int.
            var magnitude = Math.Abs((long)term.Coefficient);
            if (magnitude != 1)
            {
                text.Append('*').Append(magnitude);
            }
        }
        if (Constant != 0 || text.Length == 0)
        {
            if (text.Length > 0)
            {
                text.Append(Constant < 0 ? "-" : "+").Append(Math.Abs((long)Constant));
            }
            else
            {
                text.Append(Constant);
            }
        }
        return text.ToString();
    }
}
