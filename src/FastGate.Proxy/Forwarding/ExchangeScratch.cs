using FastGate.Core.Buffers;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The buffers only stages write: an exchange makes them the first time a stage needs one and
/// keeps them for the connection's later exchanges, so a connection that only ever serves
/// routes without stages holds none of them.
/// </summary>
internal sealed class ExchangeScratch
{
    public readonly HeaderEdits UpstreamRequestHeaders = new();
    public readonly HeaderEdits ResponseHeaders = new();
    public readonly HeaderEdits LocalHeaders = new();
    public readonly PooledByteBuffer LocalBody = new();
    public readonly PooledByteBuffer LocalContentType = new();
    public readonly PooledByteBuffer RequestBody = new();
    public readonly PooledByteBuffer Replacement = new();
    public readonly PooledByteBuffer UpstreamBody = new();
    /// <summary>What the chain's response-end stages write, before the client's response ends.</summary>
    public readonly PooledByteBuffer ResponseEnd = new();
    public readonly PooledByteBuffer UpstreamTarget = new();
    public readonly PooledByteBuffer UpstreamHost = new();
    public readonly byte[] RequestId = new byte[Exchange.RequestIdLength];
    public int RequestIdLength;
    /// <summary>Per response-body stage: the bytes it held back, offered again with the next ones.</summary>
    public PooledByteBuffer[] Carries = [];
    /// <summary>Two buffers the body stages' outputs alternate between.</summary>
    public readonly PooledByteBuffer PassA = new();
    public readonly PooledByteBuffer PassB = new();

    public void Clear()
    {
        UpstreamRequestHeaders.Clear();
        ResponseHeaders.Clear();
        LocalHeaders.Clear();
        RequestIdLength = 0;
        LocalBody.Clear();
        LocalContentType.Clear();
        RequestBody.Clear();
        Replacement.Clear();
        UpstreamBody.Clear();
        ResponseEnd.Clear();
        UpstreamTarget.Clear();
        UpstreamHost.Clear();
        PassA.Clear();
        PassB.Clear();
        foreach (var carry in Carries)
        {
            carry?.Clear();
        }
    }

    public void Release()
    {
        UpstreamRequestHeaders.Release();
        ResponseHeaders.Release();
        LocalHeaders.Release();
        RequestIdLength = 0;
        LocalBody.Release();
        LocalContentType.Release();
        RequestBody.Release();
        Replacement.Release();
        UpstreamBody.Release();
        ResponseEnd.Release();
        UpstreamTarget.Release();
        UpstreamHost.Release();
        PassA.Release();
        PassB.Release();
        foreach (var carry in Carries)
        {
            carry?.Release();
        }
    }
}
