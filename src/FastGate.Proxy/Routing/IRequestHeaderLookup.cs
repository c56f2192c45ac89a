// STUB: replaced by the routing branch.
namespace FastGate.Proxy.Routing;
public interface IRequestHeaderLookup
{
    bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value);
}
