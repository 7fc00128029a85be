using System.Globalization;
using Gensor.Diagnostics;
using Gensor.Etir;

namespace Gensor.FrontEnd;

/// <summary>
/// Parses tensor expressions: a compute statement <c>OUT[i,j] += RHS</c> and an
/// epilogue (a bare RHS). Index expressions must be affine; every error names the
/// 1-based column of the text where it was found.
/// </summary>
public sealed class ExpressionParser
{
    /// <summary>
    /// The deepest expression tree accepted, counting operators chained in one
    /// sum or product (<c>a + b + c</c> is two levels deep, plus one for the
    /// reads). Every later stage walks the tree recursively, and so does the C#
    /// compiler that compiles the kernel; this bound keeps all of them within
    /// their stacks. A sum of 1,000 terms fits.
    /// </summary>
    public const int MaxDepth = 1024;

    /// <summary>
    /// The most levels of parentheses, unary minus and function calls inside
    /// one another. The parser recurses on each, several frames a level.
    /// </summary>
    public const int MaxNesting = 256;

    private static readonly Dictionary<string, UnaryOp> _unaryFunctions = new()
    {
        ["relu"] = UnaryOp.Relu,
        ["exp"] = UnaryOp.Exp,
        ["tanh"] = UnaryOp.Tanh,
        ["sigmoid"] = UnaryOp.Sigmoid,
        ["sqrt"] = UnaryOp.Sqrt,
        ["abs"] = UnaryOp.Abs,
    };

    private static readonly Dictionary<string, BinaryOp> _binaryFunctions = new()
    {
        ["max"] = BinaryOp.Max,
        ["min"] = BinaryOp.Min,
    };

    private readonly string _text;
    private readonly string _context;
    private readonly List<Token> _tokens;
    private int _position;
    private int _nesting;

    private ExpressionParser(string text, string context)
    {
        _text = text;
        _context = context;
        _tokens = ExpressionLexer.Tokenize(text, context);
    }

    private Token Current => _tokens[_position];

    /// <summary>Parses <c>OUT[i,...] OP RHS</c> where OP is <c>=</c>, <c>+=</c> or <c>max=</c>.</summary>
    /// <exception cref="GensorException">BadInput, with a message starting <c>compute: column N:</c>.</exception>
    public static ComputeStatement ParseCompute(string text)
    {
        var parser = new ExpressionParser(text, "compute");
        var statement = parser.ParseStatement();
        parser.CheckDepth(statement.Body);
        return statement;
    }

    /// <summary>Parses an epilogue: an expression in which a read of the output means the accumulated value.</summary>
    /// <exception cref="GensorException">BadInput, with a message starting <c>epilogue: column N:</c>.</exception>
    public static Expr ParseEpilogue(string text)
    {
        var parser = new ExpressionParser(text, "epilogue");
        var expr = parser.ParseExpression();
        parser.Expect(TokenKind.End, "end of text");
        parser.CheckCancelled();
        parser.CheckDepth(expr);
        return expr;
    }

    private ComputeStatement ParseStatement()
    {
        var name = Expect(TokenKind.Identifier, "the output tensor's name");
        Expect(TokenKind.LeftBracket, "'['");
        if (Current.Kind == TokenKind.RightBracket)
        {
            throw Error(Current, $"output '{name.Text}' needs at least one index");
        }
        var axes = new List<string>();
        while (true)
        {
            var start = Current;
            var index = ParseIndex();
            var axis = index.PlainAxis ?? throw Error(start, $"output index '{SourceFrom(start)}' is not a plain index variable");
            if (axes.Contains(axis))
            {
                throw Error(start, $"output index '{axis}' appears twice");
            }
            axes.Add(axis);
            if (Current.Kind != TokenKind.Comma)
            {
                break;
            }
            Advance();
        }
        Expect(TokenKind.RightBracket, "']'");
        var reduction = ParseAssignment();
        var body = ParseExpression();
        Expect(TokenKind.End, "end of text");
        CheckCancelled();
        return new ComputeStatement(name.Text, ValueArray.From(axes), reduction, body);
    }

    private Reduction ParseAssignment()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Assign:
                Advance();
                return Reduction.None;
            case TokenKind.PlusAssign:
                Advance();
                return Reduction.Sum;
            case TokenKind.Identifier when token.Text == "max" && Peek(1).Kind == TokenKind.Assign:
                Advance();
                Advance();
                return Reduction.Max;
            default:
                throw Error(token, $"expected '=', '+=' or 'max=' but found {token.Describe()}");
        }
    }

    private Expr ParseExpression()
    {
        var left = ParseTerm();
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Advance().Kind == TokenKind.Plus ? BinaryOp.Add : BinaryOp.Subtract;
            left = new Binary(op, left, ParseTerm());
        }
        return left;
    }

    private Expr ParseTerm()
    {
        var left = ParseUnary();
        while (Current.Kind is TokenKind.Star or TokenKind.Slash)
        {
            var op = Advance().Kind == TokenKind.Star ? BinaryOp.Multiply : BinaryOp.Divide;
            left = new Binary(op, left, ParseUnary());
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Kind != TokenKind.Minus)
        {
            return ParsePrimary();
        }
        using var nested = Nest(Advance());
        var operand = ParseUnary();
        // Folding keeps "-1" a constant, which is what every later stage expects to see.
        return operand is Constant constant ? new Constant(-constant.Value) : new Unary(UnaryOp.Negate, operand);
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
            {
                Advance();
                var value = double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return double.IsFinite(value) ? new Constant(value) : throw Error(token, $"number '{token.Text}' is out of range");
            }
            case TokenKind.LeftParen:
            {
                using var nested = Nest(Advance());
                var inner = ParseExpression();
                Expect(TokenKind.RightParen, "')'");
                return inner;
            }
            case TokenKind.Identifier when Peek(1).Kind == TokenKind.LeftParen:
                return ParseCall();
            case TokenKind.Identifier when Peek(1).Kind == TokenKind.LeftBracket:
                return ParseRead();
            case TokenKind.Identifier:
                throw Error(Peek(1), $"expected '[' or '(' after '{token.Text}' but found {Peek(1).Describe()}");
            default:
                throw Error(token, $"expected a number, a tensor read, a function or '(' but found {token.Describe()}");
        }
    }

    private Expr ParseCall()
    {
        var name = Advance();
        using var nested = Nest(Advance());
        var arguments = new List<Expr>();
        if (Current.Kind != TokenKind.RightParen)
        {
            arguments.Add(ParseExpression());
            while (Current.Kind == TokenKind.Comma)
            {
                Advance();
                arguments.Add(ParseExpression());
            }
        }
        Expect(TokenKind.RightParen, "')'");
        if (_unaryFunctions.TryGetValue(name.Text, out var unary))
        {
            return arguments.Count == 1
                ? new Unary(unary, arguments[0])
                : throw Error(name, $"function '{name.Text}' takes 1 argument but is given {arguments.Count}");
        }
        if (_binaryFunctions.TryGetValue(name.Text, out var binary))
        {
            return arguments.Count == 2
                ? new Binary(binary, arguments[0], arguments[1])
                : throw Error(name, $"function '{name.Text}' takes 2 arguments but is given {arguments.Count}");
        }
        throw Error(name, $"unknown function '{name.Text}' (known: relu, exp, tanh, sigmoid, sqrt, abs, max, min)");
    }

    private TensorRead ParseRead()
    {
        var name = Advance();
        Advance();
        if (Current.Kind == TokenKind.RightBracket)
        {
            throw Error(Current, $"tensor '{name.Text}' needs at least one index");
        }
        var indices = new List<AffineIndex> { ParseIndex() };
        while (Current.Kind == TokenKind.Comma)
        {
            Advance();
            indices.Add(ParseIndex());
        }
        Expect(TokenKind.RightBracket, "']'");
        return new TensorRead(name.Text, ValueArray.From(indices));
    }

    private AffineIndex ParseIndex()
    {
        var start = Current;
        var form = ParseAffineSum();
        if (form is null)
        {
            throw Error(start, $"index '{SourceFrom(start)}' is not affine (only integer multiples of index variables plus an integer)");
        }
        foreach (var (axis, coefficient) in form.Terms)
        {
            if (coefficient == 0)
            {
                _cancelled.TryAdd(axis, start);
            }
            else
            {
                _indexed.Add(axis);
            }
        }
        var terms = form.Terms.Where(term => term.Value != 0).Select(term => new AffineTerm(term.Key, checked((int)term.Value)));
        return new AffineIndex(ValueArray.From(terms), checked((int)form.Constant));
    }

    // Index variables written in an index but cancelled out of it (i+j-j), with the index's first token,
    // and those some index keeps.
    private readonly Dictionary<string, Token> _cancelled = [];
    private readonly HashSet<string> _indexed = [];

    /// <summary>
    /// Refuses an index variable that cancels out of every index it is written in: nothing would depend
    /// on it, so what a sum over it means (the same terms repeated, or none without an extent) is a guess.
    /// </summary>
    private void CheckCancelled()
    {
        foreach (var (axis, at) in _cancelled)
        {
            if (!_indexed.Contains(axis))
            {
                throw Error(at, $"index variable '{axis}' cancels out of every index it is written in, so nothing depends on it; write the expression without it");
            }
        }
    }

    // The affine sub-grammar returns null for a non-affine part but keeps parsing, so the error can quote the whole index.
    private LinearForm? ParseAffineSum()
    {
        var start = Current;
        var left = ParseAffineProduct();
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var sign = Advance().Kind == TokenKind.Plus ? 1 : -1;
            var right = ParseAffineProduct();
            left = left is null || right is null ? null : Checked(start, () => left.Add(right, sign));
        }
        return left;
    }

    private LinearForm? ParseAffineProduct()
    {
        var start = Current;
        var left = ParseAffineUnary();
        while (Current.Kind is TokenKind.Star or TokenKind.Slash)
        {
            var isDivision = Advance().Kind == TokenKind.Slash;
            var right = ParseAffineUnary();
            if (isDivision || left is null || right is null)
            {
                left = null;
            }
            else if (left.IsConstant)
            {
                left = Checked(start, () => right.Scale(left.Constant));
            }
            else if (right.IsConstant)
            {
                left = Checked(start, () => left.Scale(right.Constant));
            }
            else
            {
                left = null;
            }
        }
        return left;
    }

    private LinearForm? ParseAffineUnary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Minus:
            {
                using var nested = Nest(Advance());
                var operand = ParseAffineUnary();
                return operand is null ? null : Checked(token, () => operand.Scale(-1));
            }
            case TokenKind.Number:
                Advance();
                if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > int.MaxValue)
                {
                    throw Error(token, $"index constant '{token.Text}' is not an integer that fits in 32 bits");
                }
                return LinearForm.OfConstant(value);
            case TokenKind.Identifier:
                Advance();
                return LinearForm.OfAxis(token.Text);
            case TokenKind.LeftParen:
            {
                using var nested = Nest(Advance());
                var inner = ParseAffineSum();
                Expect(TokenKind.RightParen, "')'");
                return inner;
            }
            default:
                throw Error(token, $"expected an index but found {token.Describe()}");
        }
    }

    private LinearForm Checked(Token at, Func<LinearForm> combine)
    {
        try
        {
            return combine();
        }
        catch (OverflowException)
        {
            throw Error(at, $"index '{SourceFrom(at)}' has coefficients too large for 32 bits");
        }
    }

    /// <summary>One level of the parser's own recursion, refused past <see cref="MaxNesting"/> before the stack runs out.</summary>
    private Nesting Nest(Token at)
    {
        if (++_nesting > MaxNesting)
        {
            throw Error(at, $"parentheses, minus signs and calls nested more than {MaxNesting} levels deep");
        }
        return new Nesting(this);
    }

    /// <summary>
    /// Refuses a tree deeper than <see cref="MaxDepth"/>: sums and products are
    /// parsed in loops, so a long chain of them is deep without nesting. The walk
    /// keeps its own stack, so it cannot overflow on what it refuses.
    /// </summary>
    private void CheckDepth(Expr expr)
    {
        var pending = new Stack<(Expr Node, int Depth)>();
        pending.Push((expr, 1));
        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            if (depth > MaxDepth)
            {
                throw GensorException.BadInput($"{_context}: the expression is more than {MaxDepth} levels deep (each + - * / chained in one sum or product is a level; sum over an index instead)");
            }
            switch (node)
            {
                case Unary unary:
                    pending.Push((unary.Operand, depth + 1));
                    break;
                case Binary binary:
                    pending.Push((binary.Left, depth + 1));
                    pending.Push((binary.Right, depth + 1));
                    break;
            }
        }
    }

    private readonly struct Nesting(ExpressionParser parser) : IDisposable
    {
        public void Dispose() => parser._nesting--;
    }

    private Token Expect(TokenKind kind, string description)
    {
        if (Current.Kind != kind)
        {
            throw Error(Current, $"expected {description} but found {Current.Describe()}");
        }
        return Advance();
    }

    private Token Advance()
    {
        var token = Current;
        if (_position < _tokens.Count - 1)
        {
            _position++;
        }
        return token;
    }

    private Token Peek(int ahead) => _tokens[Math.Min(_position + ahead, _tokens.Count - 1)];

    /// <summary>The source text from <paramref name="start"/> up to the last token consumed.</summary>
    private string SourceFrom(Token start)
    {
        var end = _position > 0 ? _tokens[_position - 1].EndColumn : start.EndColumn;
        return end > start.Column ? _text[(start.Column - 1)..(end - 1)] : start.Text;
    }

    private GensorException Error(Token at, string message) =>
        GensorException.BadInput($"{_context}: column {at.Column}: {message}");

    /// <summary>Integer multiples of axes (in order of first appearance) plus a constant, during index parsing.</summary>
    private sealed class LinearForm
    {
        public List<KeyValuePair<string, long>> Terms { get; } = [];

        public long Constant { get; private set; }

        public bool IsConstant => Terms.All(term => term.Value == 0);

        public static LinearForm OfConstant(long value) => new() { Constant = value };

        public static LinearForm OfAxis(string axis)
        {
            var form = new LinearForm();
            form.Terms.Add(new(axis, 1));
            return form;
        }

        public LinearForm Add(LinearForm other, int sign)
        {
            var sum = new LinearForm { Constant = checked(Constant + (sign * other.Constant)) };
            sum.Terms.AddRange(Terms);
            foreach (var (axis, coefficient) in other.Terms)
            {
                var at = sum.Terms.FindIndex(term => term.Key == axis);
                if (at < 0)
                {
                    sum.Terms.Add(new(axis, checked(sign * coefficient)));
                }
                else
                {
                    sum.Terms[at] = new(axis, checked(sum.Terms[at].Value + (sign * coefficient)));
                }
            }
            return sum.Validate();
        }

        public LinearForm Scale(long factor)
        {
            var scaled = new LinearForm { Constant = checked(Constant * factor) };
            scaled.Terms.AddRange(Terms.Select(term => new KeyValuePair<string, long>(term.Key, checked(term.Value * factor))));
            return scaled.Validate();
        }

        private LinearForm Validate()
        {
            // Keeping every intermediate within +-int.MaxValue makes the final narrowing to
            // AffineIndex safe, and so is negating or taking the absolute value of any of
            // them later (int.MinValue has no positive counterpart).
            if (Constant is > int.MaxValue or < -int.MaxValue || Terms.Any(term => term.Value is > int.MaxValue or < -int.MaxValue))
            {
                throw new OverflowException();
            }
            return this;
        }
    }
}
