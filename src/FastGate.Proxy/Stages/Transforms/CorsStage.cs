using System.Globalization;
using System.Text;
using FastGate.Core.Http;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>[route.cors]</c>, the CORS protocol of the Fetch standard (fetch.spec.whatwg.org, "CORS
/// protocol"). A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered
/// here with 204 and the route's policy, or 403 when the origin, the method or a requested field
/// is not allowed; it never reaches auth or the upstream, as a browser sends it without
/// credentials. An actual request from an allowed origin goes upstream and gets
/// Access-Control-Allow-Origin (and the rest) on its response; one from another origin gets no
/// CORS field, so the browser keeps the response from the page. Every answer that depends on the
/// Origin says Vary: Origin, so a shared cache does not hand one origin's answer to another.
/// All field values are built here once; a request allocates nothing.
/// </summary>
public sealed class CorsStage : Stage
{
    private readonly byte[][] _origins;
    private readonly byte[][] _wildcardSchemes;
    private readonly byte[][] _wildcardSuffixes;
    private readonly bool _anyOrigin;
    private readonly byte[][] _methods;
    private readonly byte[][] _headers;
    private readonly bool _anyHeader;
    private readonly byte[] _methodsValue;
    private readonly byte[] _headersValue;
    private readonly byte[] _exposeValue;
    private readonly byte[] _maxAgeValue;
    private readonly bool _credentials;
    // "*" alone and no credentials: the answer is the same for every origin, so it needs no Vary.
    private readonly bool _sameForEveryOrigin;

    public CorsStage(CorsModel model)
    {
        var origins = new List<byte[]>();
        var schemes = new List<byte[]>();
        var suffixes = new List<byte[]>();
        foreach (var origin in model.AllowOrigins)
        {
            var star = origin.IndexOf("://*.", StringComparison.Ordinal);
            if (origin == "*")
            {
                _anyOrigin = true;
            }
            else if (star > 0)
            {
                schemes.Add(Encoding.ASCII.GetBytes(origin[..(star + 3)]));
                suffixes.Add(Encoding.ASCII.GetBytes(origin[(star + 5)..]));
            }
            else
            {
                origins.Add(Encoding.ASCII.GetBytes(origin));
            }
        }
        _origins = [.. origins];
        _wildcardSchemes = [.. schemes];
        _wildcardSuffixes = [.. suffixes];
        _methods = Bytes(model.AllowMethods);
        _anyHeader = model.AllowHeaders.Contains("*");
        _headers = Bytes(model.AllowHeaders);
        _methodsValue = Encoding.ASCII.GetBytes(string.Join(", ", model.AllowMethods));
        _headersValue = _anyHeader ? [] : Encoding.ASCII.GetBytes(string.Join(", ", model.AllowHeaders));
        _exposeValue = Encoding.ASCII.GetBytes(string.Join(", ", model.ExposeHeaders));
        _maxAgeValue = model.MaxAge is { } maxAge
            ? Encoding.ASCII.GetBytes(((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture))
            : [];
        _credentials = model.AllowCredentials;
        _sameForEveryOrigin = _anyOrigin && !_credentials && _origins.Length == 0 && _wildcardSchemes.Length == 0;
    }

    public override string Name => "cors";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        var request = exchange.Request;
        var lookup = new Http1HeaderLookup(request);
        var hasOrigin = lookup.TryGetValue("origin"u8, out var origin);
        if (hasOrigin && request.Method == RequestMethod.Options
            && lookup.TryGetValue("access-control-request-method"u8, out var requestedMethod))
        {
            lookup.TryGetValue("access-control-request-headers"u8, out var requestedHeaders);
            return new(Preflight(exchange, origin, requestedMethod, requestedHeaders));
        }

        if (!_sameForEveryOrigin)
        {
            exchange.ResponseHeaders.Add("vary"u8, "Origin"u8);
        }
        if (hasOrigin && IsAllowedOrigin(origin))
        {
            var headers = exchange.ResponseHeaders;
            AllowOrigin(headers, origin);
            if (_exposeValue.Length > 0)
            {
                headers.Set("access-control-expose-headers"u8, _exposeValue);
            }
        }
        return new(StageOutcome.Continue);
    }

    private StageOutcome Preflight(Exchange exchange, ReadOnlySpan<byte> origin, ReadOnlySpan<byte> method, ReadOnlySpan<byte> requestedHeaders)
    {
        var headers = exchange.LocalHeaders;
        headers.Set("vary"u8, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"u8);
        if (!IsAllowedOrigin(origin) || !IsAllowedMethod(method) || !AreAllowedHeaders(requestedHeaders))
        {
            return exchange.Answer(403);
        }
        AllowOrigin(headers, origin);
        headers.Set("access-control-allow-methods"u8, _methodsValue);
        if (_anyHeader ? requestedHeaders.Length > 0 : _headersValue.Length > 0)
        {
            // With "*", the fields asked for are echoed: a literal "*" is refused by browsers on
            // requests with credentials, and the echo works with and without them.
            headers.Set("access-control-allow-headers"u8, _anyHeader ? requestedHeaders : _headersValue);
        }
        if (_maxAgeValue.Length > 0)
        {
            headers.Set("access-control-max-age"u8, _maxAgeValue);
        }
        return exchange.Answer(204);
    }

    private void AllowOrigin(HeaderEdits headers, ReadOnlySpan<byte> origin)
    {
        headers.Set("access-control-allow-origin"u8, _sameForEveryOrigin ? "*"u8 : origin);
        if (_credentials)
        {
            headers.Set("access-control-allow-credentials"u8, "true"u8);
        }
    }

    /// <summary>Scheme and host compare case-insensitively (RFC 6454 §4 lower-cases them); the list is lower-case.</summary>
    public bool IsAllowedOrigin(ReadOnlySpan<byte> origin)
    {
        if (origin.IsEmpty || !HeaderEdits.IsFieldValue(origin))
        {
            return false;
        }
        if (_anyOrigin)
        {
            return true;
        }
        foreach (var allowed in _origins)
        {
            if (Ascii.EqualsIgnoreCase(origin, allowed))
            {
                return true;
            }
        }
        for (var i = 0; i < _wildcardSchemes.Length; i++)
        {
            // "https://*.example.com" takes "https://a.example.com", not "https://example.com".
            var scheme = _wildcardSchemes[i];
            var suffix = _wildcardSuffixes[i];
            if (origin.Length > scheme.Length + suffix.Length + 1
                && Ascii.EqualsIgnoreCase(origin[..scheme.Length], scheme)
                && Ascii.EqualsIgnoreCase(origin[^suffix.Length..], suffix)
                && origin[^(suffix.Length + 1)] == (byte)'.'
                && !origin[scheme.Length..^(suffix.Length + 1)].ContainsAny((byte)'/', (byte)'@'))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Methods are case-sensitive (RFC 9110 §9.1); a preflight for a method not listed is refused.</summary>
    private bool IsAllowedMethod(ReadOnlySpan<byte> method)
    {
        foreach (var allowed in _methods)
        {
            if (method.SequenceEqual(allowed))
            {
                return true;
            }
        }
        return false;
    }

    private bool AreAllowedHeaders(ReadOnlySpan<byte> list)
    {
        if (_anyHeader)
        {
            return true;
        }
        foreach (var range in list.Split((byte)','))
        {
            var name = HttpChars.TrimOws(list[range]);
            if (name.IsEmpty)
            {
                continue;
            }
            var found = false;
            foreach (var allowed in _headers)
            {
                if (Ascii.EqualsIgnoreCase(name, allowed))
                {
                    found = true;
                    break;
                }
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }

    private static byte[][] Bytes(IReadOnlyList<string> values)
    {
        var bytes = new byte[values.Count][];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Encoding.ASCII.GetBytes(values[i]);
        }
        return bytes;
    }
}
