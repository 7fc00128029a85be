namespace Gensor.Tuning.Reports;

/// <summary>Figures for the JSON the commands print and the records hold.</summary>
public static class JsonNumber
{
    /// <summary><paramref name="value"/>, or null where it is NaN or infinite: JSON has no such numbers.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
