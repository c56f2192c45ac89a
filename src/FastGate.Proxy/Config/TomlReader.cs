using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace FastGate.Proxy.Config;

/// <summary>
/// Reads TOML 1.0 straight into the positioned <see cref="TomlTableNode"/> tree, and the redacted
/// text, in one pass over the string.
/// </summary>
/// <remarks>
/// Why not Tomlyn's syntax tree: it keeps every token and its trivia, which for a 10 MB file of
/// 100,000 routes allocated 720 MiB and took seconds before the loader read a single key. This
/// reader allocates only the tree the loader reads. It is deliberately strict: on anything it does
/// not accept (a syntax error, a redefinition, a TOML corner it is unsure of) it gives up and the
/// loader parses the file again with Tomlyn, which then reports the error with the messages and
/// positions users know, or reads the file if it was valid after all. So this reader may only ever
/// be stricter than Tomlyn, never laxer; <c>TomlReaderTests</c> compares the two trees.
/// Its loops are compiled fully optimized at once: a load runs each of them once, over a few MB,
/// before tiered compilation would have promoted them (measured: 0.85-1.0 s for `check` on
/// 100,000 routes with tiering, about 0.6 s without). It is not on the request path, so losing
/// dynamic PGO here costs nothing.
/// </remarks>
internal sealed class TomlReader
{
    private static readonly SearchValues<char> BasicStringStops = SearchValues.Create("\"\\\n\r\u007f\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");
    private static readonly SearchValues<char> LiteralStringStops = SearchValues.Create("'\n\r\u007f\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    // Short strings repeat across thousands of tables (key names, cluster names, hosts): one
    // instance each keeps the model that holds them small.
    private const int MaxSharedLength = 64;

    private readonly string _text;
    private readonly FrozenSet<string> _secretKeys;
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _sharedLookup;

    // How each non-header table came to be: TOML forbids reopening some of them (see Reopen*).
    private readonly Dictionary<TomlTableNode, TableOrigin> _origins = new(ReferenceEqualityComparer.Instance);
    private readonly List<(int Start, int End)> _secretSpans = [];
    private readonly List<(string Name, SourcePosition Position)> _segments = [];
    private readonly StringBuilder _builder = new();

    // Values nest by recursion: a file of 100,000 '[' would overflow the stack, which no catch
    // survives, so a reload could take the daemon down. Nothing in a gateway config nests deep.
    private const int MaxDepth = 64;

    private int _depth;
    private int _pos;
    private int _lineStart;
    private int _line = 1;

    // Columns count code points, as Tomlyn's do: remembered per line so a long line is not rescanned.
    private int _columnAt;
    private int _columnValue = 1;

    private TomlReader(string text, FrozenSet<string> secretKeys)
    {
        _text = text;
        _secretKeys = secretKeys;
        _sharedLookup = _shared.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private enum TableOrigin : byte
    {
        /// <summary>[a.b] made a: [a] may still define it, once.</summary>
        ImplicitByHeader,

        /// <summary>a.b = 1 made a: no header may name it or pass through it.</summary>
        Dotted,

        /// <summary>{ ... }: closed for good.</summary>
        Inline,
    }

    /// <summary>
    /// The tree and the text with secret values replaced, or false when the text is not TOML this
    /// reader accepts: then the caller asks Tomlyn, unless <paramref name="error"/> is set, for input
    /// that must not reach a recursive parser at all. Never throws.
    /// </summary>
    public static bool TryRead(
        string text, FrozenSet<string> secretKeys, out TomlTableNode root, out string redactedText, out (SourcePosition At, string Message)? error)
    {
        var reader = new TomlReader(text, secretKeys);
        root = null!;
        redactedText = null!;
        error = null;
        try
        {
            root = reader.ReadDocument();
            redactedText = reader.Redact();
            return true;
        }
        catch (TooDeepException e)
        {
            error = (e.At, $"arrays and inline tables nested deeper than {MaxDepth} levels");
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Rejected input or a bug here: either way Tomlyn decides.
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TomlTableNode ReadDocument()
    {
        var root = new TomlTableNode(SourcePosition.Start);
        var current = root;
        while (true)
        {
            SkipBlankLines();
            if (_pos >= _text.Length)
            {
                return root;
            }

            if (_text[_pos] == '[')
            {
                current = ReadHeader(root);
            }
            else
            {
                ReadKeyValue(current, insideSecret: false);
            }

            ExpectLineEnd();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TomlTableNode ReadHeader(TomlTableNode root)
    {
        var headerPosition = Position();
        bool isArray = Peek(1) == '[';
        _pos += isArray ? 2 : 1;
        SkipSpaces();
        ReadKey();
        SkipSpaces();
        Expect(']');
        if (isArray)
        {
            Expect(']');
        }

        var parent = root;
        for (int i = 0; i < _segments.Count - 1; i++)
        {
            var (name, position) = _segments[i];
            switch (parent.Find(name)?.Value)
            {
                case null:
                    var table = new TomlTableNode(position);
                    _origins[table] = TableOrigin.ImplicitByHeader;
                    parent.Add(new TomlEntry(name, position, table));
                    parent = table;
                    break;
                case TomlTableNode existing when !_origins.TryGetValue(existing, out var origin) || origin == TableOrigin.ImplicitByHeader:
                    parent = existing;
                    break;
                case TomlTableArrayNode array:
                    // [listener.tls] after [[listener]] belongs to the last listener.
                    parent = array.Tables[^1];
                    break;
                default:
                    throw Reject();
            }
        }

        var (last, lastPosition) = _segments[^1];
        var entry = parent.Find(last);
        if (isArray)
        {
            TomlTableArrayNode array;
            if (entry is null)
            {
                array = new TomlTableArrayNode(headerPosition);
                parent.Add(new TomlEntry(last, lastPosition, array));
            }
            else
            {
                array = entry.Value as TomlTableArrayNode ?? throw Reject();
            }

            var element = new TomlTableNode(headerPosition);
            array.Tables.Add(element);
            return element;
        }

        if (entry is null)
        {
            var table = new TomlTableNode(headerPosition);
            parent.Add(new TomlEntry(last, lastPosition, table));
            return table;
        }

        // [a] after [a.b]: the table exists, implicitly, and may be defined now, but only once.
        if (entry.Value is TomlTableNode implicitTable
            && _origins.TryGetValue(implicitTable, out var implicitOrigin)
            && implicitOrigin == TableOrigin.ImplicitByHeader)
        {
            _origins.Remove(implicitTable);
            return implicitTable;
        }

        throw Reject();
    }

    /// <summary>key = value, in a table section or an inline table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadKeyValue(TomlTableNode table, bool insideSecret)
    {
        ReadKey();
        for (int i = 0; i < _segments.Count - 1; i++)
        {
            var (name, position) = _segments[i];
            switch (table.Find(name)?.Value)
            {
                case null:
                    var child = new TomlTableNode(position);
                    _origins[child] = TableOrigin.Dotted;
                    table.Add(new TomlEntry(name, position, child));
                    table = child;
                    break;
                case TomlTableNode existing when _origins.TryGetValue(existing, out var origin) && origin == TableOrigin.Dotted:
                    table = existing;
                    break;
                default:
                    throw Reject();
            }
        }

        var (key, keyPosition) = _segments[^1];
        if (table.Find(key) is not null)
        {
            throw Reject();
        }

        SkipSpaces();
        Expect('=');
        SkipSpaces();
        bool secret = !insideSecret && _secretKeys.Contains(key);
        int start = _pos;
        var value = ReadValue(insideSecret || secret);
        if (secret)
        {
            _secretSpans.Add((start, _pos));
        }

        table.Add(new TomlEntry(key, keyPosition, value));
    }

    /// <summary>A bare, quoted or dotted key into <see cref="_segments"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadKey()
    {
        _segments.Clear();
        while (true)
        {
            var position = Position();
            string name;
            char c = Current();
            if (c == '"')
            {
                if (Peek(1) == '"' && Peek(2) == '"')
                {
                    throw Reject();
                }

                name = ReadBasicString();
            }
            else if (c == '\'')
            {
                if (Peek(1) == '\'' && Peek(2) == '\'')
                {
                    throw Reject();
                }

                name = ReadLiteralString();
            }
            else
            {
                int start = _pos;
                while (_pos < _text.Length && IsBareKeyChar(_text[_pos]))
                {
                    _pos++;
                }

                if (_pos == start)
                {
                    throw Reject();
                }

                name = Share(_text.AsSpan(start, _pos - start));
            }

            _segments.Add((name, position));
            int afterKey = _pos;
            SkipSpaces();
            if (_pos < _text.Length && _text[_pos] == '.')
            {
                _pos++;
                SkipSpaces();
                continue;
            }

            _pos = afterKey;
            return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TomlNode ReadValue(bool insideSecret)
    {
        var position = Position();
        char c = Current();
        switch (c)
        {
            case '"':
                return new TomlScalar(position, Peek(1) == '"' && Peek(2) == '"' ? ReadMultilineBasicString() : ReadBasicString(), "string");
            case '\'':
                return new TomlScalar(position, Peek(1) == '\'' && Peek(2) == '\'' ? ReadMultilineLiteralString() : ReadLiteralString(), "string");
            case '[' or '{':
                if (++_depth > MaxDepth)
                {
                    throw new TooDeepException(position);
                }

                TomlNode nested = c == '[' ? ReadArray(position, insideSecret) : ReadInlineTable(position, insideSecret);
                _depth--;
                return nested;
            case 't' when Matches("true"):
                _pos += 4;
                ExpectValueEnd();
                return new TomlScalar(position, true, "boolean");
            case 'f' when Matches("false"):
                _pos += 5;
                ExpectValueEnd();
                return new TomlScalar(position, false, "boolean");
            default:
                return ReadNumberOrDateTime(position);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TomlArrayNode ReadArray(SourcePosition position, bool insideSecret)
    {
        _pos++;
        var items = new List<TomlNode>();
        while (true)
        {
            SkipArrayTrivia();
            if (Current() == ']')
            {
                _pos++;
                return new TomlArrayNode(position, items);
            }

            items.Add(ReadValue(insideSecret));
            SkipArrayTrivia();
            char c = Current();
            if (c == ',')
            {
                _pos++;
            }
            else if (c != ']')
            {
                throw Reject();
            }
        }
    }

    private TomlTableNode ReadInlineTable(SourcePosition position, bool insideSecret)
    {
        _pos++;
        var table = new TomlTableNode(position);
        SkipSpaces();
        if (Current() == '}')
        {
            _pos++;
            _origins[table] = TableOrigin.Inline;
            return table;
        }

        while (true)
        {
            SkipSpaces();
            ReadKeyValue(table, insideSecret);
            SkipSpaces();
            char c = Current();
            _pos++;
            if (c == '}')
            {
                break;
            }

            // TOML 1.0: no newline and no trailing comma in an inline table.
            if (c != ',')
            {
                throw Reject();
            }
        }

        // Every table made inside is closed too: nothing may add to them later.
        CloseInline(table);
        return table;
    }

    private void CloseInline(TomlTableNode table)
    {
        _origins[table] = TableOrigin.Inline;
        foreach (var entry in table.Entries)
        {
            if (entry.Value is TomlTableNode child)
            {
                CloseInline(child);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TomlScalar ReadNumberOrDateTime(SourcePosition position)
    {
        int start = _pos;
        while (_pos < _text.Length && IsNumberChar(_text[_pos]))
        {
            _pos++;
        }

        // A date and a time may be separated by one space: "1979-05-27 07:32:00".
        if (_pos - start == 10 && _text[start + 4] == '-' && Peek(0) == ' ' && char.IsAsciiDigit(Peek(1)))
        {
            _pos++;
            while (_pos < _text.Length && IsNumberChar(_text[_pos]))
            {
                _pos++;
            }
        }

        var token = _text.AsSpan(start, _pos - start);
        if (token.Length == 0)
        {
            throw Reject();
        }

        ExpectValueEnd();
        if (token.Length >= 5 && char.IsAsciiDigit(token[0]) && (token[4] == '-' || token[2] == ':'))
        {
            return new TomlScalar(position, ParseDateTime(token.ToString()), "datetime");
        }

        if (TryParseInteger(token, out long integer))
        {
            return new TomlScalar(position, integer, "integer");
        }

        return new TomlScalar(position, ParseFloat(token), "float");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseInteger(ReadOnlySpan<char> token, out long value)
    {
        value = 0;
        if (token.Length > 2 && token[0] == '0' && token[1] is 'x' or 'o' or 'b')
        {
            int radix = token[1] switch { 'x' => 16, 'o' => 8, _ => 2 };
            ulong result = 0;
            var digits = token[2..];
            CheckUnderscores(digits);
            foreach (char c in digits)
            {
                if (c == '_')
                {
                    continue;
                }

                int digit = HexValue(c);
                if (digit < 0 || digit >= radix)
                {
                    throw Reject();
                }

                result = checked((result * (ulong)radix) + (ulong)digit);
            }

            value = result <= long.MaxValue ? (long)result : throw Reject();
            return true;
        }

        var unsigned = token[0] is '+' or '-' ? token[1..] : token;
        if (unsigned.Length == 0 || !char.IsAsciiDigit(unsigned[0]))
        {
            return false;
        }

        foreach (char c in unsigned)
        {
            if (!char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        CheckUnderscores(unsigned);
        if (unsigned.Length > 1 && unsigned[0] == '0')
        {
            throw Reject();
        }

        Span<char> buffer = stackalloc char[Math.Min(token.Length, 64)];
        int length = Strip(token, buffer);
        value = long.TryParse(buffer[..length], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw Reject();
        return true;
    }

    private static double ParseFloat(ReadOnlySpan<char> token)
    {
        var unsigned = token[0] is '+' or '-' ? token[1..] : token;
        bool negative = token[0] == '-';
        if (unsigned is "inf")
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (unsigned is "nan")
        {
            return double.NaN;
        }

        // [+-] integer-part ( "." digits )? ( [eE] [+-]? digits )?, with at least one of the two.
        int i = Digits(unsigned, 0);
        if (i == 0 || (i > 1 && unsigned[0] == '0'))
        {
            throw Reject();
        }

        bool fraction = false, exponent = false;
        if (i < unsigned.Length && unsigned[i] == '.')
        {
            int end = Digits(unsigned, i + 1);
            if (end == i + 1)
            {
                throw Reject();
            }

            i = end;
            fraction = true;
        }

        if (i < unsigned.Length && unsigned[i] is 'e' or 'E')
        {
            i++;
            if (i < unsigned.Length && unsigned[i] is '+' or '-')
            {
                i++;
            }

            int end = Digits(unsigned, i);
            if (end == i)
            {
                throw Reject();
            }

            i = end;
            exponent = true;
        }

        if (i != unsigned.Length || !(fraction || exponent))
        {
            throw Reject();
        }

        Span<char> buffer = stackalloc char[Math.Min(token.Length, 128)];
        int length = token.Length <= buffer.Length ? Strip(token, buffer) : throw Reject();
        var value = double.Parse(buffer[..length], NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(value) ? value : throw Reject();
    }

    /// <summary>The end of a run of digits with single underscores between them, from <paramref name="start"/>.</summary>
    private static int Digits(ReadOnlySpan<char> text, int start)
    {
        int i = start;
        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_'))
        {
            i++;
        }

        CheckUnderscores(text[start..i]);
        return i;
    }

    /// <summary>An underscore must sit between two digits.</summary>
    private static void CheckUnderscores(ReadOnlySpan<char> digits)
    {
        if (digits.Length > 0 && (digits[0] == '_' || digits[^1] == '_' || digits.IndexOf("__") >= 0))
        {
            throw Reject();
        }
    }

    private static int Strip(ReadOnlySpan<char> token, Span<char> buffer)
    {
        int length = 0;
        foreach (char c in token)
        {
            if (c != '_')
            {
                buffer[length++] = c;
            }
        }

        return length;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Rare in a gateway config, and Tomlyn's value type is what the tree holds: let Tomlyn read it.</summary>
    private static object ParseDateTime(string token)
    {
        var document = SyntaxParser.Parse("v = " + token, validate: true);
        if (document.HasErrors || document.KeyValues.ChildrenCount != 1 || document.KeyValues.GetChild(0)!.Value is not DateTimeValueSyntax dateTime)
        {
            throw Reject();
        }

        return dateTime.Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string ReadBasicString()
    {
        _pos++;
        int start = _pos;
        int stop = _text.AsSpan(_pos).IndexOfAny(BasicStringStops);
        if (stop >= 0 && _text[_pos + stop] == '"')
        {
            // The common case: no escape, one slice.
            _pos += stop + 1;
            return Share(_text.AsSpan(start, stop), checkSurrogates: true);
        }

        _builder.Clear();
        while (true)
        {
            char c = Current();
            _pos++;
            if (c == '"')
            {
                return Share(_builder, checkSurrogates: true);
            }

            if (c == '\\')
            {
                ReadEscape();
            }
            else if (IsControl(c))
            {
                throw Reject();
            }
            else
            {
                _builder.Append(c);
            }
        }
    }

    private string ReadLiteralString()
    {
        _pos++;
        int start = _pos;
        int stop = _text.AsSpan(_pos).IndexOfAny(LiteralStringStops);
        if (stop < 0 || _text[_pos + stop] != '\'')
        {
            throw Reject();
        }

        _pos += stop + 1;
        return Share(_text.AsSpan(start, stop), checkSurrogates: true);
    }

    private string ReadMultilineBasicString()
    {
        _pos += 3;
        SkipNewlineAfterDelimiter();
        _builder.Clear();
        while (true)
        {
            if (TryReadMultilineEnd('"', out var value))
            {
                return value;
            }

            if (Current() == '\\')
            {
                _pos++;
                int afterBackslash = _pos;

                // TOML allows spaces between a line-ending backslash and the newline; Tomlyn
                // refuses them, so leave that spelling to it.
                if (Peek(0) is ' ' or '\t')
                {
                    throw Reject();
                }

                if (Peek(0) is '\n' or '\r')
                {
                    // A line-ending backslash trims every space and newline up to the next text.
                    while (true)
                    {
                        SkipSpaces();
                        if (!TrySkipNewline())
                        {
                            break;
                        }
                    }

                    continue;
                }

                _pos = afterBackslash;
                ReadEscape();
                continue;
            }

            ReadMultilineContent();
        }
    }

    private string ReadMultilineLiteralString()
    {
        _pos += 3;
        SkipNewlineAfterDelimiter();
        _builder.Clear();
        while (true)
        {
            if (TryReadMultilineEnd('\'', out var value))
            {
                return value;
            }

            ReadMultilineContent();
        }
    }

    /// <summary>
    /// At three or more <paramref name="quote"/>s, the end of a multiline string: up to two of them
    /// still belong to the content, right before the delimiter (<c>"""a"""""</c> is <c>a""</c>).
    /// </summary>
    private bool TryReadMultilineEnd(char quote, out string value)
    {
        if (Current() != quote || Peek(1) != quote || Peek(2) != quote)
        {
            value = "";
            return false;
        }

        int quotes = 3;
        while (Peek(quotes) == quote)
        {
            quotes++;
        }

        if (quotes > 5)
        {
            throw Reject();
        }

        _builder.Append(quote, quotes - 3);
        _pos += quotes;
        value = Share(_builder, checkSurrogates: true);
        return true;
    }

    /// <summary>One newline or one character of a multiline string's content, as written.</summary>
    private void ReadMultilineContent()
    {
        if (TrySkipNewline(out var newline))
        {
            _builder.Append(newline);
            return;
        }

        char c = Current();
        if (IsControl(c))
        {
            throw Reject();
        }

        _builder.Append(c);
        _pos++;
    }

    private void SkipNewlineAfterDelimiter() => TrySkipNewline();

    /// <summary>After the backslash: \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX (TOML 1.0 has no others).</summary>
    private void ReadEscape()
    {
        char c = Current();
        _pos++;
        switch (c)
        {
            case 'b': _builder.Append('\b'); break;
            case 't': _builder.Append('\t'); break;
            case 'n': _builder.Append('\n'); break;
            case 'f': _builder.Append('\f'); break;
            case 'r': _builder.Append('\r'); break;
            case '"': _builder.Append('"'); break;
            case '\\': _builder.Append('\\'); break;
            case 'u':
            case 'U':
                int length = c == 'u' ? 4 : 8;
                if (_pos + length > _text.Length)
                {
                    throw Reject();
                }

                int scalar = 0;
                for (int i = 0; i < length; i++)
                {
                    int digit = HexValue(_text[_pos + i]);
                    if (digit < 0)
                    {
                        throw Reject();
                    }

                    scalar = (scalar << 4) | digit;
                }

                _pos += length;
                if (!Rune.IsValid(scalar))
                {
                    throw Reject();
                }

                _builder.Append(new Rune(scalar).ToString());
                break;
            default:
                throw Reject();
        }
    }

    /// <summary>After a value in a table: spaces, an optional comment, then a newline or the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExpectLineEnd()
    {
        SkipSpaces();
        if (_pos < _text.Length && _text[_pos] == '#')
        {
            SkipComment();
        }

        if (_pos < _text.Length && !TrySkipNewline())
        {
            throw Reject();
        }
    }

    /// <summary>A scalar must not run into the next token: "truex", "12abc".</summary>
    private void ExpectValueEnd()
    {
        if (_pos < _text.Length && _text[_pos] is not (' ' or '\t' or ',' or ']' or '}' or '#' or '\n' or '\r'))
        {
            throw Reject();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipBlankLines()
    {
        while (_pos < _text.Length)
        {
            SkipSpaces();
            if (_pos < _text.Length && _text[_pos] == '#')
            {
                SkipComment();
            }

            if (!TrySkipNewline())
            {
                return;
            }
        }
    }

    /// <summary>Between array items: spaces, comments and newlines.</summary>
    private void SkipArrayTrivia()
    {
        while (true)
        {
            SkipSpaces();
            if (_pos < _text.Length && _text[_pos] == '#')
            {
                SkipComment();
            }

            if (!TrySkipNewline())
            {
                return;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipComment()
    {
        _pos++;
        while (_pos < _text.Length && _text[_pos] is not ('\n' or '\r'))
        {
            if (IsControl(_text[_pos]) || char.IsSurrogate(_text[_pos]))
            {
                // Control characters are not allowed in comments; surrogates are rare enough to let Tomlyn judge.
                throw Reject();
            }

            _pos++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipSpaces()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t')
        {
            _pos++;
        }
    }

    private bool TrySkipNewline() => TrySkipNewline(out _);

    private bool TrySkipNewline(out string newline)
    {
        newline = "";
        if (_pos >= _text.Length)
        {
            return false;
        }

        if (_text[_pos] == '\n')
        {
            newline = "\n";
            _pos++;
        }
        else if (_text[_pos] == '\r' && Peek(1) == '\n')
        {
            newline = "\r\n";
            _pos += 2;
        }
        else
        {
            return false;
        }

        _line++;
        _lineStart = _pos;
        return true;
    }

    private void Expect(char c)
    {
        if (Current() != c)
        {
            throw Reject();
        }

        _pos++;
    }

    private char Current() => _pos < _text.Length ? _text[_pos] : throw Reject();

    private char Peek(int offset) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private bool Matches(string word) => _text.AsSpan(_pos).StartsWith(word, StringComparison.Ordinal);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SourcePosition Position()
    {
        if (_columnAt < _lineStart || _columnAt > _pos)
        {
            _columnAt = _lineStart;
            _columnValue = 1;
        }

        for (int i = _columnAt; i < _pos; i++)
        {
            // A surrogate pair is one code point, one column.
            if (!char.IsLowSurrogate(_text[i]))
            {
                _columnValue++;
            }
        }

        _columnAt = _pos;
        return new SourcePosition(_line, _columnValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string Share(ReadOnlySpan<char> text, bool checkSurrogates = false)
    {
        if (checkSurrogates)
        {
            CheckSurrogates(text);
        }

        if (text.Length > MaxSharedLength)
        {
            return text.ToString();
        }

        if (_sharedLookup.TryGetValue(text, out var shared))
        {
            return shared;
        }

        var value = text.ToString();
        _shared.Add(value, value);
        return value;
    }

    private string Share(StringBuilder builder, bool checkSurrogates) =>
        builder.Length <= MaxSharedLength ? Share(builder.ToString().AsSpan(), checkSurrogates) : CheckedString(builder.ToString());

    private static string CheckedString(string text)
    {
        CheckSurrogates(text);
        return text;
    }

    /// <summary>A lone surrogate is not a Unicode scalar value: not valid TOML text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CheckSurrogates(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw Reject();
            }
        }
    }

    private string Redact()
    {
        if (_secretSpans.Count == 0)
        {
            // The common case keeps one copy of a large file, not two.
            return _text;
        }

        var builder = new StringBuilder(_text.Length);
        int copied = 0;
        foreach (var (start, end) in _secretSpans)
        {
            builder.Append(_text, copied, start - copied).Append("\"[redacted]\"");
            copied = end;
        }

        return builder.Append(_text, copied, _text.Length - copied).ToString();
    }

    private static bool IsBareKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static bool IsNumberChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '+' or '.' or ':';

    /// <summary>TOML forbids control characters other than tab in strings and comments.</summary>
    private static bool IsControl(char c) => (c < 0x20 && c != '\t') || c == '\u007f';

    private static FormatException Reject() => new("not TOML this reader accepts");

    private sealed class TooDeepException(SourcePosition at) : Exception
    {
        public SourcePosition At { get; } = at;
    }
}
