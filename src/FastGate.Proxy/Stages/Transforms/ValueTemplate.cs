using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using FastGate.Core.Http;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// A value with variables (<c>"${client_ip} via ${route}"</c>), compiled once when the route's
/// stages are built into literal and variable parts. Rendering reads the variables straight from
/// the exchange's byte ranges into the caller's span: nothing is allocated per request.
/// <c>${route}</c> is known when the template is compiled and becomes a literal. <c>$$</c> writes
/// one '$'; a '$' not followed by '{' or '$' is literal.
/// </summary>
public sealed class ValueTemplate
{
    /// <summary>The names users write, in the order the docs list them.</summary>
    public static readonly string[] VariableNames = ["client_ip", "consumer", "route", "request_id", "host", "path", "query", "method"];

    // Up to this many bytes are rendered on the stack; a longer value (a long Host or path)
    // rents from the shared pool, which allocates nothing once warm.
    private const int StackLimit = 512;

    private readonly Part[] _parts;
    private readonly byte[] _literals;

    private readonly struct Part(TemplateVariable variable, int start, int length)
    {
        public readonly TemplateVariable Variable = variable;
        public readonly int Start = start;
        public readonly int Length = length;
    }

    private ValueTemplate(Part[] parts, byte[] literals)
    {
        _parts = parts;
        _literals = literals;
    }

    /// <summary>True when the template has no variable: its bytes are <see cref="Literal"/>.</summary>
    public bool IsLiteral => _parts.Length == 0 || (_parts.Length == 1 && _parts[0].Variable == TemplateVariable.None);

    /// <summary>The bytes of a template without variables.</summary>
    public ReadOnlySpan<byte> Literal => _literals;

    /// <summary>
    /// Compiles <paramref name="text"/>; <paramref name="routeName"/> is what <c>${route}</c> becomes.
    /// Fails on an unknown variable, an unclosed <c>${</c>, or a control character in the literal text
    /// (which would split the head it is written into).
    /// </summary>
    public static bool TryParse(string text, string routeName, [NotNullWhen(true)] out ValueTemplate? template, [NotNullWhen(false)] out string? error)
    {
        template = null;
        var parts = new List<Part>();
        var literals = new List<byte>();
        var pending = new StringBuilder();
        void FlushLiteral()
        {
            if (pending.Length == 0)
            {
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(pending.ToString());
            parts.Add(new Part(TemplateVariable.None, literals.Count, bytes.Length));
            literals.AddRange(bytes);
            pending.Clear();
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '$' || i + 1 == text.Length || (text[i + 1] != '{' && text[i + 1] != '$'))
            {
                pending.Append(c);
                continue;
            }
            if (text[i + 1] == '$')
            {
                pending.Append('$');
                i++;
                continue;
            }
            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                error = $"unclosed '${{' in '{text}'";
                return false;
            }
            var name = text[(i + 2)..close];
            if (name == "route")
            {
                pending.Append(routeName);
            }
            else if (Parse(name) is { } variable)
            {
                FlushLiteral();
                parts.Add(new Part(variable, 0, 0));
            }
            else
            {
                var suggestion = Config.EditDistance.Closest(name, VariableNames);
                error = suggestion is null
                    ? $"unknown variable '${{{name}}}' in '{text}'; known: {string.Join(", ", VariableNames)}"
                    : $"unknown variable '${{{name}}}' in '{text}'; did you mean '${{{suggestion}}}'?";
                return false;
            }
            i = close;
        }
        FlushLiteral();

        var literalBytes = literals.ToArray();
        if (!HeaderEdits.IsFieldValue(literalBytes))
        {
            error = $"'{text}' holds a control character";
            return false;
        }
        template = new ValueTemplate(parts.ToArray(), literalBytes);
        error = null;
        return true;
    }

    private static TemplateVariable? Parse(string name) => name switch
    {
        "client_ip" => TemplateVariable.ClientIp,
        "consumer" => TemplateVariable.Consumer,
        "request_id" => TemplateVariable.RequestId,
        "host" => TemplateVariable.Host,
        "path" => TemplateVariable.Path,
        "query" => TemplateVariable.Query,
        "method" => TemplateVariable.Method,
        _ => null,
    };

    /// <summary>The bytes a variable stands for in this exchange.</summary>
    public static ReadOnlySpan<byte> Value(Exchange exchange, TemplateVariable variable) => variable switch
    {
        TemplateVariable.ClientIp => exchange.ClientAddressBytes,
        TemplateVariable.Consumer => exchange.Consumer is { } consumer ? consumer.NameUtf8 : default,
        TemplateVariable.RequestId => exchange.RequestId,
        TemplateVariable.Host => exchange.Request.Host,
        TemplateVariable.Path => exchange.Request.Path,
        TemplateVariable.Query => exchange.Request.Query,
        TemplateVariable.Method => exchange.Request.MethodBytes,
        _ => default,
    };

    /// <summary>The length <see cref="Render"/> writes for this exchange.</summary>
    public int Measure(Exchange exchange)
    {
        var length = 0;
        foreach (ref readonly var part in _parts.AsSpan())
        {
            length += part.Variable == TemplateVariable.None ? part.Length : Value(exchange, part.Variable).Length;
        }
        return length;
    }

    /// <summary>Writes the value into <paramref name="destination"/>, at least <see cref="Measure"/> long; returns the length.</summary>
    public int Render(Exchange exchange, Span<byte> destination)
    {
        var written = 0;
        foreach (ref readonly var part in _parts.AsSpan())
        {
            var value = part.Variable == TemplateVariable.None
                ? _literals.AsSpan(part.Start, part.Length)
                : Value(exchange, part.Variable);
            value.CopyTo(destination[written..]);
            written += value.Length;
        }
        return written;
    }

    /// <summary>
    /// Renders the value and applies it to <paramref name="edits"/> as <paramref name="kind"/>
    /// (set or add) under <paramref name="name"/>. False when the rendered value is refused (a
    /// control character that came in with the request): the caller answers 400.
    /// </summary>
    public bool Apply(Exchange exchange, HeaderEdits edits, HeaderEditKind kind, ReadOnlySpan<byte> name)
    {
        if (IsLiteral)
        {
            return kind == HeaderEditKind.Add ? edits.Add(name, _literals) : edits.Set(name, _literals);
        }
        var length = Measure(exchange);
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var value = buffer[..Render(exchange, buffer)];
            return kind == HeaderEditKind.Add ? edits.Add(name, value) : edits.Set(name, value);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
