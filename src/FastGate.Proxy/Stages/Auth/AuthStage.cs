using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.Auth;

/// <summary>
/// A route's <c>auth</c>: finds who is calling and sets <see cref="Exchange.Consumer"/>, or answers
/// 401. Runs in the request-head phase, synchronously.
/// <para>
/// The first method, in the route's order, for which the request carries a credential decides:
/// that credential passes or the request is refused; a wrong credential is never retried as
/// anonymous. Where each method looks: api_key in the route's <c>api_key_header</c>, then
/// x-api-key, then a Bearer token, then the <c>api_key_query</c> parameter; jwt in a Bearer token;
/// basic in <c>Authorization: Basic</c>. When the route takes both API keys and JWTs, a Bearer
/// token with the three-part shape of a JWT is read as a JWT and any other as a key. A request with
/// no credential passes only when the route is <c>anonymous</c>; an Authorization header none of
/// the route's methods reads is refused, not ignored.
/// </para>
/// <para>
/// Unless <c>forward_credentials</c>, every place the route's methods read is cleared from the
/// upstream request, not only the credential that decided: an upstream must never see a credential
/// the gateway did not check. So are the headers <c>claims_to_headers</c> fills, whatever the
/// client put in them: only the gateway speaks for the caller there.
/// </para>
/// </summary>
public sealed class AuthStage : Stage
{
    private static readonly byte[] AuthorizationName = "authorization"u8.ToArray();
    private static readonly byte[] XApiKeyName = "x-api-key"u8.ToArray();

    /// <summary>Subjects longer than this name no consumer (jwt_subject values are short names).</summary>
    private const int MaxSubjectChars = 256;

    private readonly string _route;
    private readonly AuthMethod[] _methods;
    private readonly bool _acceptsApiKey;
    private readonly bool _acceptsBasic;
    private readonly bool _anonymous;
    private readonly bool _forwardCredentials;
    private readonly byte[]? _apiKeyHeader;
    private readonly byte[]? _apiKeyQuery;
    private readonly JwtValidator? _jwt;
    private readonly byte[][] _claimNames;
    private readonly byte[][] _claimHeaders;
    private readonly ConsumerIndex _consumers;
    private readonly AuthRefusalCounters _counters;
    private readonly AuthRefusalLog _log;
    private readonly TimeProvider _time;
    private readonly byte[][] _missingChallenges;

    public AuthStage(string route, RouteAuthModel auth, ConsumerIndex consumers, AuthRefusalCounters counters, AuthRefusalLog log, TimeProvider? time = null)
    {
        _route = route;
        _methods = [.. auth.Methods];
        _acceptsApiKey = Array.IndexOf(_methods, AuthMethod.ApiKey) >= 0;
        _acceptsBasic = Array.IndexOf(_methods, AuthMethod.Basic) >= 0;
        _anonymous = auth.Anonymous;
        _forwardCredentials = auth.ForwardCredentials;
        _apiKeyHeader = auth.ApiKeyHeader is { } header ? Encoding.ASCII.GetBytes(header) : null;
        _apiKeyQuery = auth.ApiKeyQuery is { } query ? Encoding.ASCII.GetBytes(query) : null;
        _jwt = auth.Jwt is { } jwt ? new JwtValidator(jwt) : null;
        var claims = auth.Jwt?.ClaimsToHeaders ?? [];
        _claimNames = new byte[claims.Count][];
        _claimHeaders = new byte[claims.Count][];
        for (var i = 0; i < claims.Count; i++)
        {
            _claimNames[i] = Encoding.UTF8.GetBytes(claims[i].Key);
            _claimHeaders[i] = Encoding.ASCII.GetBytes(claims[i].Value);
        }
        _consumers = consumers;
        _counters = counters;
        _log = log;
        _time = time ?? TimeProvider.System;
        // A request with no credential is told every way it may bring one (RFC 9110 §11.6.1).
        var challenges = new List<byte[]>();
        if (_acceptsApiKey || _jwt is not null)
        {
            challenges.Add(AuthAnswers.BearerChallenge);
        }
        if (_acceptsBasic)
        {
            challenges.Add(AuthAnswers.BasicChallenge);
        }
        _missingChallenges = [.. challenges];
    }

    /// <summary>The route's auth stage, or null when the route lets anyone in.</summary>
    public static AuthStage? For(RouteModel route, ConfigModel config, StageServices services) =>
        route.Auth is { } auth
            ? new AuthStage(route.Name, auth, config.ConsumerIndex, services.Metrics.AuthRefusals, new AuthRefusalLog(services.Log, route.Name))
            : null;

    public override string Name => "auth";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) => new(Authenticate(exchange));

    /// <summary>The whole decision, synchronously; see the class remarks for the rules.</summary>
    public StageOutcome Authenticate(Exchange exchange)
    {
        var request = exchange.Request;
        int authorization = -1, xApiKey = -1, customHeader = -1;
        var repeated = false;
        var headers = request.Headers;
        for (var i = 0; i < headers.Length; i++)
        {
            var name = request.Name(headers[i]);
            // Lengths first: most fields are none of these, and a length tells them apart without a call.
            if (name.Length == AuthorizationName.Length && Ascii.EqualsIgnoreCase(name, AuthorizationName))
            {
                repeated |= authorization >= 0;
                authorization = i;
            }
            else if (_acceptsApiKey && name.Length == XApiKeyName.Length && Ascii.EqualsIgnoreCase(name, XApiKeyName))
            {
                repeated |= xApiKey >= 0;
                xApiKey = i;
            }
            else if (_apiKeyHeader is not null && name.Length == _apiKeyHeader.Length && Ascii.EqualsIgnoreCase(name, _apiKeyHeader))
            {
                repeated |= customHeader >= 0;
                customHeader = i;
            }
        }
        // Two credentials of one kind: proxies and origins disagree on which one counts.
        if (repeated)
        {
            return Refuse(exchange, AuthRefusal.Malformed, null);
        }

        ReadOnlySpan<byte> bearer = default, basic = default;
        var hasBearer = false;
        var hasBasic = false;
        if (authorization >= 0)
        {
            var value = request.Value(headers[authorization]);
            hasBearer = TryScheme(value, "bearer"u8, out bearer);
            hasBasic = !hasBearer && TryScheme(value, "basic"u8, out basic);
        }
        var bearerIsJwt = hasBearer && _jwt is not null && (!_acceptsApiKey || LooksLikeJwt(bearer));

        ReadOnlySpan<byte> queryKey = default;
        var hasQueryKey = false;
        if (_apiKeyQuery is not null)
        {
            var count = QueryParameter.Find(request.Query, _apiKeyQuery, out queryKey);
            if (count > 1)
            {
                return Refuse(exchange, AuthRefusal.Malformed, AuthMethod.ApiKey);
            }
            hasQueryKey = count == 1;
        }

        // A client must not pass its own x-user-id off as a claim: the claim headers are the gateway's.
        foreach (var claimHeader in _claimHeaders)
        {
            exchange.UpstreamRequestHeaders.Remove(claimHeader);
        }

        ConsumerModel? consumer = null;
        foreach (var method in _methods)
        {
            AuthRefusal refusal;
            switch (method)
            {
                case AuthMethod.ApiKey when customHeader >= 0:
                    refusal = CheckApiKey(request.Value(headers[customHeader]), out consumer);
                    break;
                case AuthMethod.ApiKey when xApiKey >= 0:
                    refusal = CheckApiKey(request.Value(headers[xApiKey]), out consumer);
                    break;
                case AuthMethod.ApiKey when hasBearer && !bearerIsJwt:
                    refusal = CheckApiKey(bearer, out consumer);
                    break;
                case AuthMethod.ApiKey when hasQueryKey:
                    refusal = CheckQueryKey(queryKey, out consumer);
                    break;
                case AuthMethod.Jwt when bearerIsJwt:
                    refusal = CheckJwt(exchange, bearer, out consumer);
                    break;
                case AuthMethod.Basic when hasBasic:
                    refusal = CheckBasic(basic, out consumer);
                    break;
                default:
                    continue;
            }
            if (refusal != AuthRefusal.None)
            {
                return Refuse(exchange, refusal, method);
            }
            return Pass(exchange, consumer, authorization >= 0, xApiKey >= 0, customHeader >= 0, hasQueryKey);
        }

        // No method found its credential. An Authorization header nobody here reads (another scheme,
        // or Basic on a route without basic) is a credential we cannot check: refused, not ignored.
        if (authorization >= 0)
        {
            return Refuse(exchange, AuthRefusal.Malformed, null);
        }
        return _anonymous
            ? Pass(exchange, null, false, false, false, false)
            : Refuse(exchange, AuthRefusal.Missing, null);
    }

    private StageOutcome Pass(Exchange exchange, ConsumerModel? consumer, bool authorization, bool xApiKey, bool customHeader, bool queryKey)
    {
        exchange.Consumer = consumer;
        if (_forwardCredentials)
        {
            return StageOutcome.Continue;
        }
        var upstream = exchange.UpstreamRequestHeaders;
        if (authorization)
        {
            upstream.Remove(AuthorizationName);
        }
        if (xApiKey)
        {
            upstream.Remove(XApiKeyName);
        }
        if (customHeader)
        {
            upstream.Remove(_apiKeyHeader!);
        }
        if (queryKey)
        {
            RemoveQueryKey(exchange);
        }
        return StageOutcome.Continue;
    }

    /// <summary>The key is hashed on the stack and looked up by hash: nothing allocated, nothing compared byte by byte.</summary>
    private AuthRefusal CheckApiKey(ReadOnlySpan<byte> key, out ConsumerModel? consumer)
    {
        var hash = CredentialHash.Of(key);
        return _consumers.TryGetByKeyHash(hash, out consumer) ? AuthRefusal.None : AuthRefusal.UnknownKey;
    }

    private AuthRefusal CheckQueryKey(ReadOnlySpan<byte> encoded, out ConsumerModel? consumer)
    {
        consumer = null;
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(encoded.Length, 1));
        try
        {
            return QueryParameter.TryDecode(encoded, rented, out var length)
                ? CheckApiKey(rented.AsSpan(0, length), out consumer)
                : AuthRefusal.Malformed;
        }
        finally
        {
            // The decoded key must not linger in a shared pool buffer.
            Array.Clear(rented);
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>RFC 7617: base64(user-id ":" password); the user-id ends at the first colon.</summary>
    private AuthRefusal CheckBasic(ReadOnlySpan<byte> encoded, out ConsumerModel? consumer)
    {
        consumer = null;
        // Credentials longer than this are no one's; it bounds the stack buffer.
        const int MaxDecoded = 1024;
        if (encoded.Length > MaxDecoded * 4 / 3 + 4)
        {
            return AuthRefusal.BadBasic;
        }
        Span<byte> decoded = stackalloc byte[MaxDecoded];
        if (System.Buffers.Text.Base64.DecodeFromUtf8(encoded, decoded, out _, out var length) != OperationStatus.Done)
        {
            decoded.Clear();
            return AuthRefusal.Malformed;
        }
        var credentials = decoded[..length];
        var colon = credentials.IndexOf((byte)':');
        AuthRefusal refusal;
        if (colon < 0)
        {
            refusal = AuthRefusal.Malformed;
        }
        else
        {
            var user = CredentialHash.Of(credentials[..colon]);
            var password = CredentialHash.Of(credentials[(colon + 1)..]);
            refusal = _consumers.TryGetByBasicCredentials(user, password, out consumer) ? AuthRefusal.None : AuthRefusal.BadBasic;
        }
        credentials.Clear();
        return refusal;
    }

    private AuthRefusal CheckJwt(Exchange exchange, ReadOnlySpan<byte> token, out ConsumerModel? consumer)
    {
        consumer = null;
        var jwt = _jwt!;
        // The validator refuses an oversized token before it decodes anything; this only keeps a
        // huge header from renting a buffer to match.
        var rented = ArrayPool<byte>.Shared.Rent(Math.Min(token.Length, jwt.MaxTokenBytes + 1));
        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
            var refusal = jwt.Validate(token, now, rented, out var payloadLength);
            return refusal != AuthRefusal.None ? refusal : ApplyClaims(exchange, rented.AsSpan(0, payloadLength), out consumer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// After the token verified: the consumer whose jwt_subject is "sub" (none is fine: a valid
    /// token with no consumer is an authenticated caller without per-consumer settings), and the
    /// claims_to_headers copies. Strings go unescaped, numbers and booleans as written; objects,
    /// arrays and null are not copied. A value with control characters refuses the request.
    /// </summary>
    private AuthRefusal ApplyClaims(Exchange exchange, ReadOnlySpan<byte> payload, out ConsumerModel? consumer)
    {
        consumer = null;
        var rented = _claimNames.Length > 0 ? ArrayPool<byte>.Shared.Rent(payload.Length) : null;
        Span<char> subject = stackalloc char[MaxSubjectChars];
        try
        {
            var reader = new Utf8JsonReader(payload);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSubject = reader.ValueTextEquals("sub"u8);
                var claim = -1;
                for (var i = 0; i < _claimNames.Length; i++)
                {
                    if (reader.ValueTextEquals(_claimNames[i]))
                    {
                        claim = i;
                        break;
                    }
                }
                reader.Read();
                if (isSubject && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= MaxSubjectChars)
                {
                    var length = reader.CopyString(subject);
                    _consumers.TryGetBySubject(subject[..length], out consumer);
                }
                if (claim >= 0)
                {
                    ReadOnlySpan<byte> value;
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.String:
                            value = rented.AsSpan(0, reader.CopyString(rented));
                            break;
                        case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                            value = reader.ValueSpan;
                            break;
                        default:
                            reader.Skip();
                            continue;
                    }
                    if (!exchange.UpstreamRequestHeaders.Set(_claimHeaders[claim], value))
                    {
                        return AuthRefusal.BadClaim;
                    }
                }
                reader.Skip();
            }
            return AuthRefusal.None;
        }
        catch (JsonException)
        {
            return AuthRefusal.TokenMalformed;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Sends the path with the query minus the key parameter. A stage's target replaces the whole
    /// upstream target, so the route's strip_prefix is applied here, as the front would have.
    /// </summary>
    private void RemoveQueryKey(Exchange exchange)
    {
        var request = exchange.Request;
        var path = request.PathLength > 0 ? request.Path : "/"u8;
        var strip = exchange.Route is { } route ? route.StripPrefix : [];
        var slash = false;
        if (strip.Length > 0 && path.StartsWith(strip))
        {
            path = path[strip.Length..];
            slash = path.IsEmpty || path[0] != (byte)'/';
        }
        var query = request.Query;
        var rented = ArrayPool<byte>.Shared.Rent(path.Length + query.Length + 1);
        var length = 0;
        if (slash)
        {
            rented[length++] = (byte)'/';
        }
        path.CopyTo(rented.AsSpan(length));
        length += path.Length;
        length += QueryParameter.WriteWithout(query, _apiKeyQuery!, rented.AsSpan(length));
        exchange.SetUpstreamTarget(rented.AsSpan(0, length));
        Array.Clear(rented);
        ArrayPool<byte>.Shared.Return(rented);
    }

    private StageOutcome Refuse(Exchange exchange, AuthRefusal reason, AuthMethod? method)
    {
        _counters.Refused(reason);
        _log.Report(reason, exchange.ClientAddressBytes);
        var challenges = exchange.LocalHeaders;
        switch (method)
        {
            case AuthMethod.Basic:
                challenges.Add(AuthAnswers.WwwAuthenticate, AuthAnswers.BasicChallenge);
                break;
            case AuthMethod.ApiKey or AuthMethod.Jwt:
                challenges.Add(AuthAnswers.WwwAuthenticate, AuthAnswers.BearerInvalidChallenge);
                break;
            default:
                foreach (var challenge in _missingChallenges)
                {
                    challenges.Add(AuthAnswers.WwwAuthenticate, challenge);
                }
                break;
        }
        return exchange.AnswerJson(401, AuthAnswers.Body(reason));
    }

    /// <summary>
    /// RFC 9110 §11.4: the scheme is case-insensitive and followed by one or more spaces; the
    /// credentials (token68) are the rest. False when the scheme differs or nothing follows.
    /// </summary>
    private static bool TryScheme(ReadOnlySpan<byte> value, ReadOnlySpan<byte> scheme, out ReadOnlySpan<byte> credentials)
    {
        credentials = default;
        if (value.Length <= scheme.Length || value[scheme.Length] != (byte)' ' || !Ascii.EqualsIgnoreCase(value[..scheme.Length], scheme))
        {
            return false;
        }
        credentials = value[(scheme.Length + 1)..].TrimStart((byte)' ');
        return !credentials.IsEmpty;
    }

    /// <summary>A compact JWS has exactly two dots; API keys in practice have none.</summary>
    private static bool LooksLikeJwt(ReadOnlySpan<byte> token) => token.Count((byte)'.') == 2;

    public override string ToString() => $"auth({_route})";
}
