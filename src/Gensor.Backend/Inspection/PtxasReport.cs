using System.Globalization;
using System.Text.RegularExpressions;

namespace Gensor.Backend.Inspection;

/// <summary>
/// The resource report <c>ptxas -v</c> prints on stderr, one entry function at a time:
/// <code>
/// ptxas info    : Compiling entry function 'Kernel_Kernel' for 'sm_90'
/// ptxas info    : Function properties for Kernel_Kernel
///     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
/// ptxas info    : Used 121 registers, 35328 bytes smem
/// </code>
/// (CUDA 12 adds <c>used N barriers</c> and <c>N bytes cmem[0]</c> to the last line and a
/// <c>Compile time</c> line; a kernel without shared memory has no <c>smem</c> figure.)
/// </summary>
public sealed partial record PtxasReport(IReadOnlyList<PtxasFunction> Entries)
{
    /// <summary>Reads every entry function's figures from <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">An entry is named but its register count is missing.</exception>
    public static PtxasReport Parse(string text)
    {
        var entries = new List<PtxasFunction>();
        var frames = new Dictionary<string, (int Stack, int Stores, int Loads)>(StringComparer.Ordinal);
        string? current = null, architecture = null, propertiesOf = null;
        int? registers = null;
        var shared = 0;

        void Close()
        {
            if (current is null)
            {
                return;
            }
            if (registers is null)
            {
                throw new FormatException($"ptxas reported no register count for '{current}'");
            }
            var frame = frames.GetValueOrDefault(current);
            entries.Add(new PtxasFunction(current, architecture!, registers.Value, frame.Stack, frame.Stores, frame.Loads, shared));
            current = null;
        }

        foreach (var line in text.Split('\n'))
        {
            if (EntryLine().Match(line) is { Success: true } entry)
            {
                Close();
                (current, architecture, registers, shared) = (entry.Groups[1].Value, entry.Groups[2].Value, null, 0);
            }
            else if (PropertiesLine().Match(line) is { Success: true } properties)
            {
                propertiesOf = properties.Groups[1].Value;
            }
            else if (FrameLine().Match(line) is { Success: true } frame && (propertiesOf ?? current) is { } owner)
            {
                // Some ptxas versions print the frame line right after "Compiling entry function", with no "Function properties" line.
                frames[owner] = (Number(frame.Groups[1]), Number(frame.Groups[2]), Number(frame.Groups[3]));
                propertiesOf = null;
            }
            else if (UsedLine().Match(line) is { Success: true } used && current is not null)
            {
                registers = Number(used.Groups[1]);
                shared = SharedFigure().Match(line) is { Success: true } smem ? Number(smem.Groups[1]) : 0;
            }
        }
        Close();
        return new PtxasReport(entries);
    }

    /// <summary>The one entry of a kernel's report.</summary>
    /// <exception cref="FormatException">The report holds no entry, or several.</exception>
    public PtxasFunction Single() => Entries.Count == 1
        ? Entries[0]
        : throw new FormatException($"expected one entry function in ptxas's report, found {Entries.Count}");

    private static int Number(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Compiling entry function '([^']+)' for '([^']+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"Function properties for (\S+)")]
    private static partial Regex PropertiesLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SharedFigure();
}
