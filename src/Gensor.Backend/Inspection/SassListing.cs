using System.Globalization;
using System.Text.RegularExpressions;

namespace Gensor.Backend.Inspection;

/// <summary>
/// A SASS listing as <c>cuobjdump -sass</c> prints it (nvdisasm's form reads too):
/// <code>
///     code for sm_90
///         Function : Kernel_Kernel
///     .headerflags    @"EF_CUDA_SM90 EF_CUDA_PTX_SM(EF_CUDA_SM90)"
///         /*0000*/                   LDC R1, c[0x0][0x28] ;      /* 0x00000a00ff017b82 */
///                                                                /* 0x000fc00000000000 */
/// </code>
/// Each instruction is one line with its offset; the encoding's second half
/// (the control bits) is a line of its own and is skipped.
/// </summary>
public sealed partial record SassListing(IReadOnlyList<SassFunction> Functions)
{
    /// <summary>Reads every function and instruction of <paramref name="text"/>.</summary>
    public static SassListing Parse(string text)
    {
        var functions = new List<SassFunction>();
        var architecture = "";
        string? name = null;
        var instructions = new List<SassInstruction>();

        void Close()
        {
            if (name is not null)
            {
                functions.Add(new SassFunction(name, architecture, instructions));
            }
            instructions = [];
        }

        foreach (var line in text.Split('\n'))
        {
            if (CodeFor().Match(line) is { Success: true } code)
            {
                architecture = code.Groups[1].Value;
            }
            else if (FunctionHeader().Match(line) is { Success: true } header)
            {
                Close();
                name = header.Groups[1].Success ? header.Groups[1].Value : header.Groups[2].Value;
            }
            else if (name is not null && InstructionLine().Match(line) is { Success: true } instruction)
            {
                instructions.Add(Instruction(int.Parse(instruction.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), instruction.Groups[2].Value));
            }
        }
        Close();
        return new SassListing(functions);
    }

    /// <summary>The one function of a kernel's listing.</summary>
    /// <exception cref="FormatException">The listing holds no function, or several.</exception>
    public SassFunction Single() => Functions.Count == 1
        ? Functions[0]
        : throw new FormatException($"expected one function in the SASS listing, found {Functions.Count}");

    private static SassInstruction Instruction(int offset, string text)
    {
        // Older architectures print dual-issued pairs in braces.
        var body = text.Trim().TrimStart('{').Trim();
        string? predicate = null;
        if (body.StartsWith('@'))
        {
            var space = body.IndexOfAny([' ', '\t']);
            predicate = body[1..space];
            body = body[space..].TrimStart();
        }
        var end = body.IndexOfAny([' ', '\t']);
        var parts = (end < 0 ? body : body[..end]).Split('.');
        return new SassInstruction(offset, predicate, parts[0], parts[1..], text.Trim());
    }

    [GeneratedRegex(@"^\s*code for (sm_\w+)")]
    private static partial Regex CodeFor();

    [GeneratedRegex(@"^\s*(?:Function : (\S+)|\.text\.(\S+):)\s*$")]
    private static partial Regex FunctionHeader();

    [GeneratedRegex(@"^\s*/\*([0-9a-f]{4,})\*/\s*([^;]*?)\s*;")]
    private static partial Regex InstructionLine();
}
