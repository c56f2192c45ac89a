// STUB: replaced by the routing branch.
using FastGate.Proxy.Config;
namespace FastGate.Proxy.Routing;
public sealed class RouteTable
{
    public static RouteTable Build(IReadOnlyList<RouteModel> routes, IReadOnlyList<string> listenerNames) => new() { Routes = routes };
    public IReadOnlyList<RouteModel> Routes { get; private init; } = [];
    public int Match<THeaders>(int listenerIndex, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path, ReadOnlySpan<byte> method, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct => Routes.Count > 0 ? 0 : -1;
}
