using System.Globalization;
using System.Text;

namespace Gensor.Diagnostics;

/// <summary>
/// Text from a user (a name, a path, a profile field) made safe to print on
/// one line of a terminal: control characters (a newline would split an error
/// line in two, an escape sequence would recolour the terminal) and the
/// invisible bidirectional overrides are written as <c>\n</c>, <c>\u001b</c>,
/// <c>\u202e</c>. Everything else is kept.
/// </summary>
public static class Printable
{
    public static string Text(string text)
    {
        if (!text.Any(NeedsEscape))
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when NeedsEscape(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }

    /// <summary>Whether <paramref name="text"/> holds a character <see cref="Text"/> would escape.</summary>
    public static bool HasControl(string text) => text.Any(NeedsEscape);

    private static bool NeedsEscape(char c) =>
        char.IsControl(c)
        || c is '\u2028' or '\u2029' // line and paragraph separators end a line on some terminals
        || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F';

    /// <summary>
    /// A name labels tables, reports and records, one per line: it may not be
    /// empty, hold a control character (a newline would split a line, an escape
    /// would recolour a terminal) or run past 200 characters.
    /// </summary>
    public static void CheckName(string name, string what)
    {
        if (name.Length == 0)
        {
            throw GensorException.BadInput($"{what} is empty");
        }
        if (HasControl(name))
        {
            throw GensorException.BadInput($"{what} '{Text(name)}' holds a control character");
        }
        if (name.Length > 200)
        {
            throw GensorException.BadInput($"{what} is {name.Length} characters long; at most 200");
        }
    }
}
