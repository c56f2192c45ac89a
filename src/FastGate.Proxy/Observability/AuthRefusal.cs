namespace FastGate.Proxy.Observability;

/// <summary>Why an auth stage refused a request (always 401); a metric label and a log field, never the credential.</summary>
public enum AuthRefusal : byte
{
    /// <summary>Not a refusal: the request passed.</summary>
    None,
    /// <summary>No credential, and the route does not let anonymous callers in.</summary>
    Missing,
    /// <summary>A credential the route cannot read: an unknown Authorization scheme, a repeated credential header, bad Base64.</summary>
    Malformed,
    /// <summary>An API key that is no consumer's.</summary>
    UnknownKey,
    /// <summary>A basic-auth user name and password that match no consumer.</summary>
    BadBasic,
    /// <summary>A Bearer token longer than max_token_bytes.</summary>
    TokenTooLarge,
    /// <summary>A JWT that is not three Base64url segments of JSON objects, or has a "crit" header or repeated claims.</summary>
    TokenMalformed,
    /// <summary>A JWT whose "alg" is "none", not allowed on the route, or not the algorithm of the key it names.</summary>
    AlgorithmNotAllowed,
    /// <summary>A JWT whose "kid" names no key of the JWKS (or names none while the JWKS has several).</summary>
    UnknownKid,
    /// <summary>A JWT whose signature does not verify.</summary>
    BadSignature,
    /// <summary>A JWT with no "exp" claim: it would never expire.</summary>
    NoExpiry,
    /// <summary>A JWT past its "exp" by more than the leeway.</summary>
    Expired,
    /// <summary>A JWT before its "nbf" by more than the leeway.</summary>
    NotYetValid,
    /// <summary>A JWT whose "iss" is not the route's issuer.</summary>
    WrongIssuer,
    /// <summary>A JWT whose "aud" names none of the route's audiences.</summary>
    WrongAudience,
    /// <summary>A claim to copy into a header holds control characters (a header injection).</summary>
    BadClaim,
}
