using System.CommandLine;

namespace Gensor.Cli;

/// <summary>The short usage printed when no command, or an unknown one, is given: the commands and the nearest to a typo.</summary>
internal static class Usage
{
    public static void Write(TextWriter w, Command command)
    {
        var path = CommandPath(command);
        w.WriteLine($"usage: {path} COMMAND [options]   ({path} COMMAND --help for a command's options)");
        w.WriteLine("commands:");
        var visible = command.Subcommands.Where(c => !c.Hidden).ToArray();
        var width = visible.Max(c => c.Name.Length);
        foreach (var sub in visible)
        {
            w.WriteLine($"  {sub.Name.PadRight(width)}  {FirstSentence(sub.Description)}");
        }
    }

    /// <summary>"; did you mean 'tune'?" for the visible subcommand nearest to <paramref name="typed"/>, or "" when none is near.</summary>
    public static string Suggestion(Command command, string typed)
    {
        var nearest = command.Subcommands.Where(c => !c.Hidden)
            .Select(c => (c.Name, Distance: Distance(typed.ToLowerInvariant(), c.Name)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        // Near means at most a third of the word wrong (and at least one edit allowed), or a prefix of the command.
        var near = nearest.Name is not null && (nearest.Distance <= Math.Max(1, nearest.Name.Length / 3) || nearest.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase));
        return near ? $"; did you mean '{nearest.Name}'?" : "";
    }

    private static string CommandPath(Command command) =>
        command.Parents.OfType<Command>().FirstOrDefault() is { } parent ? $"{CommandPath(parent)} {command.Name}" : "gensor";

    private static string FirstSentence(string? text)
    {
        if (text is null)
        {
            return "";
        }
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text.TrimEnd('.') : text[..end];
    }

    /// <summary>Levenshtein distance, with a swap of neighbours counting as one edit (tuen -> tune).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
