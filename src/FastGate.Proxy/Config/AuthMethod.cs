namespace FastGate.Proxy.Config;

/// <summary>A way a route lets a caller prove who it is (<c>auth = [...]</c>).</summary>
public enum AuthMethod : byte
{
    /// <summary>"api_key": a key of a <c>[consumer]</c>, as a Bearer token, in x-api-key, or where the route says.</summary>
    ApiKey,
    /// <summary>"jwt": a signed JSON Web Token as a Bearer token, checked against <c>[route.jwt]</c>.</summary>
    Jwt,
    /// <summary>"basic": <c>Authorization: Basic</c> with a consumer's user name and password.</summary>
    Basic,
}
