using System.IO.Hashing;
using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// Turns an exchange into the 64-bit key of one limit (<c>key = consumer | client | route |
/// header:NAME</c>): an XxHash3 of the key's bytes, seeded by the kind so a consumer's name and a
/// header value with the same bytes are different keys. Hashing the bytes in place allocates
/// nothing; the hash is the same in every process, so instances sharing Redis agree on the key.
/// </summary>
public sealed class RateLimitKeySelector
{
    private readonly byte[] _headerName;
    private readonly ulong _routeHash;

    public RateLimitKeySelector(RateLimitKeyKind kind, string headerName, string routeName)
    {
        Kind = kind;
        _headerName = Encoding.ASCII.GetBytes(headerName);
        _routeHash = Hash(RateLimitKeyKind.Route, Encoding.UTF8.GetBytes(routeName));
    }

    public RateLimitKeyKind Kind { get; }

    public ulong Select(Exchange exchange)
    {
        switch (Kind)
        {
            case RateLimitKeyKind.Route:
                return _routeHash;
            case RateLimitKeyKind.Consumer:
                // An anonymous caller is limited by address: a consumer limit must not let
                // unauthenticated traffic through unlimited.
                return exchange.Consumer is { } consumer ? Consumer(consumer) : Client(exchange);
            case RateLimitKeyKind.Header:
                // Requests without the header share one key (the empty value).
                new Http1HeaderLookup(exchange.Request).TryGetValue(_headerName, out var value);
                return Hash(RateLimitKeyKind.Header, value);
            default:
                return Client(exchange);
        }
    }

    public static ulong Consumer(ConsumerModel consumer) => Hash(RateLimitKeyKind.Consumer, consumer.NameUtf8);

    public static ulong Client(Exchange exchange) =>
        Hash(RateLimitKeyKind.Client, exchange.ClientIpBytes.Length > 0 ? exchange.ClientIpBytes : exchange.ClientAddressBytes);

    public static ulong Hash(RateLimitKeyKind kind, ReadOnlySpan<byte> bytes)
    {
        var hash = XxHash3.HashToUInt64(bytes, (long)kind + 1);
        // 0 is the local store's overflow key.
        return hash == LocalRateLimitStore.OverflowKey ? 1 : hash;
    }
}
