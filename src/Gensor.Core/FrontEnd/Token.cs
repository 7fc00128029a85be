namespace Gensor.FrontEnd;

internal enum TokenKind
{
    Identifier,
    Number,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Assign,
    PlusAssign,
    End,
}

/// <summary>One lexeme of an expression, with its 1-based column for error messages.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Column)
{
    /// <summary>The column just past the token, so a caller can slice the source text it spans.</summary>
    public int EndColumn => Column + Text.Length;

    public string Describe() => Kind == TokenKind.End ? "end of text" : $"'{Text}'";
}
