using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Gensor.Backend.Launch;

/// <summary>C# names made from user text: operator names become type names, namespaces are checked.</summary>
public static class CSharpNames
{
    /// <summary>
    /// A PascalCase type name from <paramref name="text"/>: <c>gemm</c> gives
    /// <c>Gemm</c>, <c>s1_reduce_first</c> gives <c>S1ReduceFirst</c>; a name
    /// that would start with a digit (or be empty) gets an <c>Op</c> prefix.
    /// </summary>
    public static string TypeName(string text)
    {
        var name = new StringBuilder();
        var upper = true;
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }
            name.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return name.Length == 0 || !char.IsAsciiLetter(name[0]) ? "Op" + name : name.ToString();
    }

    /// <summary>Whether <paramref name="text"/> is a usable namespace: dot-separated identifiers, none a keyword.</summary>
    public static bool IsNamespace(string text) =>
        text.Length > 0 && text.Split('.').All(part =>
            SyntaxFacts.IsValidIdentifier(part) && SyntaxFacts.GetKeywordKind(part) == SyntaxKind.None && !part.StartsWith('@'));
}
