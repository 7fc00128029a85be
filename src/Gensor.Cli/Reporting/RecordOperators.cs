using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Cli.Reporting;

/// <summary>
/// Rebuilds an operator from a record's canonical text
/// (<c>T0[s0,s1] += (...); epilogue -; extents s0=32,...; shapes T0[32x32],...</c>),
/// so a report can count its work and traffic without the spec that made it.
/// </summary>
internal static class RecordOperators
{
    /// <summary>The operator, or null when the text is not a canonical form this version can read.</summary>
    public static Operator? Parse(string canonical, string name)
    {
        try
        {
            var epilogueAt = canonical.IndexOf("; epilogue ", StringComparison.Ordinal);
            var extentsAt = canonical.IndexOf("; extents ", StringComparison.Ordinal);
            var shapesAt = canonical.IndexOf("; shapes ", StringComparison.Ordinal);
            if (epilogueAt < 0 || extentsAt < epilogueAt || shapesAt < extentsAt)
            {
                return null;
            }
            var compute = canonical[..epilogueAt];
            var epilogue = canonical[(epilogueAt + 11)..extentsAt];
            var extents = canonical[(extentsAt + 10)..shapesAt];
            var tensors = new Dictionary<string, IReadOnlyList<long>>();
            foreach (var tensor in canonical[(shapesAt + 9)..].Split("],", StringSplitOptions.RemoveEmptyEntries))
            {
                var open = tensor.IndexOf('[');
                tensors[tensor[..open]] = tensor[(open + 1)..].TrimEnd(']').Split('x').Select(long.Parse).ToArray();
            }
            var spec = SpecReader.FromInline(compute, extents, name, epilogue == "-" ? null : epilogue) with { Tensors = tensors };
            return OperatorBuilder.Build(spec);
        }
        catch (Exception exception) when (exception is Gensor.Diagnostics.GensorException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
