using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>request_id = true</c>: every exchange of the route carries an x-request-id. A client's id is
/// kept when it is a sane token (1 to <see cref="Exchange.RequestIdLength"/> visible ASCII bytes),
/// so a trace started upstream of us goes on; anything else is replaced by 32 random hex digits.
/// The id goes upstream, into the access log (<see cref="Exchange.SetRequestId"/>) and back to the
/// client. Allocates nothing.
/// </summary>
public sealed class RequestIdStage : Stage
{
    private static ReadOnlySpan<byte> HeaderName => "x-request-id"u8;

    public override string Name => "request_id";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        if (new Http1HeaderLookup(exchange.Request).TryGetValue(HeaderName, out var incoming) && IsSane(incoming))
        {
            exchange.SetRequestId(incoming);
        }
        else
        {
            Span<byte> generated = stackalloc byte[32];
            Generate(generated);
            exchange.SetRequestId(generated);
        }
        exchange.UpstreamRequestHeaders.Set(HeaderName, exchange.RequestId);
        exchange.ResponseHeaders.Set(HeaderName, exchange.RequestId);
        return new(StageOutcome.Continue);
    }

    /// <summary>
    /// Visible ASCII only (0x21-0x7E): an id is copied into logs and other systems' headers, where
    /// spaces, quotes of other encodings or obs-text would be a nuisance or worse.
    /// </summary>
    public static bool IsSane(ReadOnlySpan<byte> id) =>
        id.Length is > 0 and <= Exchange.RequestIdLength && !id.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E);

    /// <summary>
    /// 128 random bits as 32 lower-case hex digits (the shape of a W3C trace-id). Random.Shared is
    /// thread-safe without a lock (one generator per thread) and ids need to be unique, not secret.
    /// </summary>
    public static void Generate(Span<byte> destination)
    {
        Span<byte> random = stackalloc byte[16];
        Random.Shared.NextBytes(random);
        for (var i = 0; i < random.Length; i++)
        {
            destination[2 * i] = "0123456789abcdef"u8[random[i] >> 4];
            destination[2 * i + 1] = "0123456789abcdef"u8[random[i] & 0xF];
        }
    }
}
