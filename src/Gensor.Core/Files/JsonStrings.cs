using System.Globalization;
using System.Text.Json;
using Gensor.Diagnostics;

namespace Gensor.Files;

/// <summary>
/// Finds a JSON string that is not text: JSON's <c>\uD800</c> escape may name half of a UTF-16
/// surrogate pair alone, which the parser accepts and .NET refuses to read as a string. Readers of
/// input files check for it once after parsing, so that such a file is bad input rather than an
/// internal error wherever the string is first read.
/// </summary>
public static class JsonStrings
{
    /// <summary>
    /// Where the first string of <paramref name="element"/> (a value or a property name) that holds an
    /// unpaired surrogate is, as a path from <paramref name="path"/> (<c>$.ops[2].name</c>); null when
    /// every string is text.
    /// </summary>
    private static string? FirstUnpairedSurrogate(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(() => element.GetString()) ? null : path;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Readable(() => property.Name))
                    {
                        return $"{path} (a property name)";
                    }
                    if (FirstUnpairedSurrogate(property.Value, $"{path}.{property.Name}") is { } inside)
                    {
                        return inside;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstUnpairedSurrogate(item, $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]") is { } inside)
                    {
                        return inside;
                    }
                    index++;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>What is wrong with <paramref name="root"/>'s strings, for an input file's error message; null when nothing is.</summary>
    public static string? Problem(JsonElement root) =>
        FirstUnpairedSurrogate(root) is { } at
            ? $"{Printable.Text(at)} holds half of a UTF-16 surrogate pair alone (an escape such as \\ud800), which is not text"
            : null;

    private static bool Readable(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
