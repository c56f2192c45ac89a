using System.Text;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Routing;

namespace FastGate.Proxy.Forwarding;

/// <summary>Header values of a parsed HTTP/1 request head for route matching, without allocating.</summary>
internal readonly struct Http1HeaderLookup(RequestHead head) : IRequestHeaderLookup
{
    public bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value)
    {
        foreach (ref readonly var header in head.Headers)
        {
            if (header.NameLength == nameLower.Length && Ascii.EqualsIgnoreCase(head.Name(header), nameLower))
            {
                value = head.Value(header);
                return true;
            }
        }
        value = default;
        return false;
    }
}
