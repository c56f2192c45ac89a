using System.Text;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.Auth;

/// <summary>
/// The bytes of a 401: the JSON body for each reason and the challenges, made once so a refusal
/// allocates nothing either (a flood of bad keys must not become a flood of garbage).
/// </summary>
internal static class AuthAnswers
{
    public static readonly byte[] WwwAuthenticate = "www-authenticate"u8.ToArray();

    /// <summary>RFC 6750 §3: no error code when the request carried no token.</summary>
    public static readonly byte[] BearerChallenge = "Bearer realm=\"fastgate\""u8.ToArray();

    /// <summary>RFC 6750 §3.1: the token was presented and is not good.</summary>
    public static readonly byte[] BearerInvalidChallenge = "Bearer realm=\"fastgate\", error=\"invalid_token\""u8.ToArray();

    /// <summary>RFC 7617 §2.1: the charset tells clients to send UTF-8 user names and passwords.</summary>
    public static readonly byte[] BasicChallenge = "Basic realm=\"fastgate\", charset=\"UTF-8\""u8.ToArray();

    private static readonly byte[][] Bodies = BuildBodies();

    /// <summary><c>{"error":{"message":...,"type":"authentication_error","code":REASON}}</c>.</summary>
    public static ReadOnlySpan<byte> Body(AuthRefusal reason) => Bodies[(int)reason];

    private static byte[][] BuildBodies()
    {
        var bodies = new byte[(int)AuthRefusal.BadClaim + 1][];
        for (var reason = AuthRefusal.None; reason <= AuthRefusal.BadClaim; reason++)
        {
            bodies[(int)reason] = Encoding.UTF8.GetBytes(
                $"{{\"error\":{{\"message\":\"{Message(reason)}\",\"type\":\"authentication_error\",\"code\":\"{AuthRefusalCounters.Name(reason)}\"}}}}");
        }
        return bodies;
    }

    private static string Message(AuthRefusal reason) => reason switch
    {
        AuthRefusal.Missing => "credentials required",
        AuthRefusal.Malformed => "credentials not understood",
        AuthRefusal.UnknownKey => "invalid API key",
        AuthRefusal.BadBasic => "invalid user name or password",
        AuthRefusal.TokenTooLarge => "token too large",
        AuthRefusal.TokenMalformed => "malformed token",
        AuthRefusal.AlgorithmNotAllowed => "token algorithm not allowed",
        AuthRefusal.UnknownKid => "token key not known",
        AuthRefusal.BadSignature => "invalid token signature",
        AuthRefusal.NoExpiry => "token has no expiry",
        AuthRefusal.Expired => "token expired",
        AuthRefusal.NotYetValid => "token not yet valid",
        AuthRefusal.WrongIssuer => "token issuer not accepted",
        AuthRefusal.WrongAudience => "token audience not accepted",
        AuthRefusal.BadClaim => "token claim not acceptable",
        _ => "unauthorized",
    };
}
