namespace FastGate.Proxy.Config;

/// <summary>A route's <c>auth</c> and the keys that go with it.</summary>
public sealed record RouteAuthModel
{
    /// <summary>The methods in the order they are tried; never empty.</summary>
    public required IReadOnlyList<AuthMethod> Methods { get; init; }
    /// <summary>A request with no credential at all passes without a consumer; a wrong credential is refused all the same.</summary>
    public bool Anonymous { get; init; }
    /// <summary>One more header an API key may come in (lower-case), besides Bearer and x-api-key; null when none.</summary>
    public string? ApiKeyHeader { get; init; }
    /// <summary>A query parameter an API key may come in; null when keys are not read from the query.</summary>
    public string? ApiKeyQuery { get; init; }
    /// <summary>False (the default): the credential is removed before the request goes upstream.</summary>
    public bool ForwardCredentials { get; init; }
    /// <summary>Set when <see cref="Methods"/> holds <see cref="AuthMethod.Jwt"/>.</summary>
    public JwtModel? Jwt { get; init; }
}
