using Gensor.Diagnostics;

namespace Gensor.FrontEnd;

/// <summary>Splits expression text into tokens; every token remembers its column.</summary>
internal static class ExpressionLexer
{
    public static List<Token> Tokenize(string text, string context)
    {
        var tokens = new List<Token>();
        var position = 0;
        while (position < text.Length)
        {
            var c = text[position];
            var column = position + 1;
            if (char.IsWhiteSpace(c))
            {
                position++;
                continue;
            }
            if (IsIdentifierStart(c))
            {
                var start = position;
                while (position < text.Length && IsIdentifierPart(text[position]))
                {
                    position++;
                }
                tokens.Add(new Token(TokenKind.Identifier, text[start..position], column));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && position + 1 < text.Length && char.IsAsciiDigit(text[position + 1])))
            {
                position = ScanNumber(text, position, context);
                tokens.Add(new Token(TokenKind.Number, text[(column - 1)..position], column));
                continue;
            }
            var (kind, length) = c switch
            {
                '[' => (TokenKind.LeftBracket, 1),
                ']' => (TokenKind.RightBracket, 1),
                '(' => (TokenKind.LeftParen, 1),
                ')' => (TokenKind.RightParen, 1),
                ',' => (TokenKind.Comma, 1),
                '+' when position + 1 < text.Length && text[position + 1] == '=' => (TokenKind.PlusAssign, 2),
                '+' => (TokenKind.Plus, 1),
                '-' => (TokenKind.Minus, 1),
                '*' => (TokenKind.Star, 1),
                '/' => (TokenKind.Slash, 1),
                '=' => (TokenKind.Assign, 1),
                _ => throw GensorException.BadInput($"{context}: column {column}: unexpected character '{c}'"),
            };
            tokens.Add(new Token(kind, text.Substring(position, length), column));
            position += length;
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length + 1));
        return tokens;
    }

    private static int ScanNumber(string text, int position, string context)
    {
        var start = position;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
        }
        if (position < text.Length && text[position] == '.')
        {
            position++;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
        }
        if (position < text.Length && (text[position] == 'e' || text[position] == 'E'))
        {
            var exponent = position + 1;
            if (exponent < text.Length && (text[exponent] == '+' || text[exponent] == '-'))
            {
                exponent++;
            }
            if (exponent >= text.Length || !char.IsAsciiDigit(text[exponent]))
            {
                throw GensorException.BadInput($"{context}: column {start + 1}: malformed number '{text[start..Math.Min(exponent, text.Length)]}'");
            }
            position = exponent;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
        }
        // A letter glued to a number ("2k") is almost always a missing '*'; say so rather than lexing two tokens.
        if (position < text.Length && IsIdentifierPart(text[position]))
        {
            throw GensorException.BadInput($"{context}: column {start + 1}: malformed number '{text[start..(position + 1)]}'");
        }
        return position;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
