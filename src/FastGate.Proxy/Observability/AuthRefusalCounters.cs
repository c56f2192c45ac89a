using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Auth refusals by reason, process-wide, as <c>fastgate_auth_refusals_total{reason="..."}</c>. One
/// atomic add per refusal; a request that passes costs nothing here.
/// </summary>
public sealed class AuthRefusalCounters
{
    private const int Count = (int)AuthRefusal.BadClaim + 1;

    private readonly long[] _counts = new long[Count];

    public void Refused(AuthRefusal reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public long this[AuthRefusal reason] => Interlocked.Read(ref _counts[(int)reason]);

    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP fastgate_auth_refusals_total Requests an auth stage answered with 401, by reason.\n# TYPE fastgate_auth_refusals_total counter\n");
        for (var reason = AuthRefusal.Missing; (int)reason < Count; reason++)
        {
            text.Append("fastgate_auth_refusals_total{reason=\"").Append(Name(reason)).Append("\"} ").Append(this[reason]).Append('\n');
        }
    }

    /// <summary>The reason as metrics, logs and the JSON error body spell it.</summary>
    public static string Name(AuthRefusal reason) => reason switch
    {
        AuthRefusal.None => "none",
        AuthRefusal.Missing => "missing",
        AuthRefusal.Malformed => "malformed",
        AuthRefusal.UnknownKey => "unknown_key",
        AuthRefusal.BadBasic => "bad_basic",
        AuthRefusal.TokenTooLarge => "token_too_large",
        AuthRefusal.TokenMalformed => "token_malformed",
        AuthRefusal.AlgorithmNotAllowed => "alg_not_allowed",
        AuthRefusal.UnknownKid => "unknown_kid",
        AuthRefusal.BadSignature => "bad_signature",
        AuthRefusal.NoExpiry => "no_expiry",
        AuthRefusal.Expired => "expired",
        AuthRefusal.NotYetValid => "not_yet_valid",
        AuthRefusal.WrongIssuer => "wrong_issuer",
        AuthRefusal.WrongAudience => "wrong_audience",
        _ => "bad_claim",
    };
}
