namespace FastGate.Proxy.Config;

/// <summary>A route's <c>[route.jwt]</c>: which tokens it accepts and which claims go upstream.</summary>
public sealed record JwtModel
{
    /// <summary>The required "iss"; null when any issuer is accepted.</summary>
    public string? Issuer { get; init; }
    /// <summary>A token's "aud" must name one of these; empty when the audience is not checked.</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];
    /// <summary>The verification keys, from <c>jwks</c>, <c>public_key</c> or <c>secret</c>; never empty.</summary>
    public required IReadOnlyList<JwtKey> Keys { get; init; }
    /// <summary>True when the keys came from a JWKS: a token's "kid" picks among them.</summary>
    public bool FromJwks { get; init; }
    /// <summary>The algorithms accepted; each also needs a key of its type.</summary>
    public JwtAlgorithm Algorithms { get; init; }
    /// <summary>Clock skew allowed on "exp" and "nbf".</summary>
    public TimeSpan Leeway { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Claim name to upstream header name (lower-case), in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ClaimsToHeaders { get; init; } = [];
    /// <summary>A longer Bearer token is refused before it is decoded.</summary>
    public int MaxTokenBytes { get; init; } = 8 * 1024;
}
