using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Files;
using Gensor.Reference;

namespace Gensor.Backend.Runtime;

/// <summary>
/// The memory a <see cref="KernelRunner"/> takes for an operator, known before
/// anything is allocated: an index such as <c>A[m*100000000]</c> makes a tensor
/// of billions of elements from a tiny spec, and allocating it first would take
/// minutes and gigabytes before failing.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>The default limit: 4 GiB, above any operator of the sample suites by far.</summary>
    public const long DefaultLimitBytes = 4L << 30;

    /// <summary>
    /// Bytes for one operator: each input as generated inputs on the host and as
    /// a device buffer (4 + 4 bytes an element), twice for a sum of products (its
    /// integer inputs); the output as a device buffer, two fills and a read-back
    /// per run (4 bytes each; two runs, three with integer inputs) and the reference's
    /// value and error bound (8 each) and whether NaN is right there too (1), again for the integer inputs' reference. On the CPU accelerator device buffers are host memory too.
    /// </summary>
    public static long Bytes(Operator op)
    {
        var inputs = op.Inputs.Sum(tensor => tensor.ElementCount);
        var references = InputGenerator.IntegerMagnitude(op) is null ? 1 : 2;
        return (inputs * 8 * references) + (op.Output.ElementCount * (((4 + references) * sizeof(float)) + (((2 * sizeof(double)) + sizeof(bool)) * references)));
    }

    /// <summary>Refuses an operator whose buffers would exceed <paramref name="limitBytes"/>.</summary>
    /// <exception cref="GensorException">BadInput naming the size, the largest tensor and the option that raises the limit.</exception>
    public static void Check(Operator op, long limitBytes)
    {
        var bytes = Bytes(op);
        if (bytes <= limitBytes)
        {
            return;
        }
        var largest = op.Inputs.Append(op.Output).MaxBy(tensor => tensor.ElementCount)!;
        throw GensorException.BadInput(
            $"{op.Name}: verifying it needs about {InputFile.Size(bytes)} of memory " +
            $"(the largest tensor, {largest.Name}[{string.Join(",", largest.Shape)}], has {largest.ElementCount} elements), " +
            $"more than the limit of {InputFile.Size(limitBytes)}; raise it with --memory-limit");
    }

    /// <summary>Reads a size such as <c>4G</c>, <c>512MiB</c>, <c>100000</c> (bytes).</summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static long ParseSize(string text, string option)
    {
        var trimmed = text.Trim();
        var digits = trimmed.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        var unit = trimmed[digits..].Trim().ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        long scale = unit switch
        {
            "" => 1,
            "K" => 1L << 10,
            "M" => 1L << 20,
            "G" => 1L << 30,
            "T" => 1L << 40,
            _ => 0,
        };
        if (scale == 0 || digits == 0
            || !double.TryParse(trimmed[..digits], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || !(number * scale >= 1) || number * scale > long.MaxValue / 2)
        {
            throw GensorException.BadInput($"{option}: '{text}' is not a size such as 8G, 512M or 1000000 (bytes)");
        }
        return (long)(number * scale);
    }
}
