using System.Globalization;

namespace Gensor.Tuning.Reports;

/// <summary>How numbers read in text output: significant digits rather than fixed decimals, and plurals that agree.</summary>
public static class NumberText
{
    /// <summary>
    /// <paramref name="value"/> with <paramref name="digits"/> significant digits
    /// and no exponent: 182.6449 gives 183, 0.0048123 gives 0.00481 (with 3).
    /// Integers past the digits keep all of theirs (12345 stays 12345).
    /// </summary>
    public static string Significant(double value, int digits = 3)
    {
        if (!double.IsFinite(value))
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }
        if (value == 0)
        {
            return "0";
        }
        var magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        var decimals = Math.Clamp(digits - 1 - magnitude, 0, 15);
        var rounded = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        // Rounding can carry into a new digit (9.996 -> 10.00): one decimal fewer then.
        if (decimals > 0 && (int)Math.Floor(Math.Log10(Math.Abs(rounded))) > magnitude)
        {
            decimals--;
        }
        return rounded.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A time in milliseconds with four significant digits, the form measured times print in.</summary>
    public static string Ms(double ms) => Significant(ms, 4);

    /// <summary>A cost-model estimate in milliseconds: three significant digits, as much as the model can claim.</summary>
    public static string Estimate(double ms) => Significant(ms, 3);

    /// <summary><c>1 candidate</c>, <c>3 candidates</c>: the count and the noun in agreement.</summary>
    public static string Count(long count, string noun, string? plural = null) =>
        $"{count.ToString(CultureInfo.InvariantCulture)} {(count == 1 ? noun : plural ?? noun + "s")}";

    /// <summary>Bytes in binary units: 512 B, 1.5 KiB, 23.4 GiB.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString(CultureInfo.InvariantCulture)} B" : $"{Significant(value, 3)} {units[unit]}";
    }
}
