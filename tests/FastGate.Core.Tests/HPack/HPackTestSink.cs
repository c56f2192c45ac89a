using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>Collects decoded fields as strings (copies, since the spans live only for the call).</summary>
internal sealed class HPackTestSink : IHPackHeaderSink
{
    public List<(string Name, string Value)> Headers { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Headers.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));

    public static (HPackError Error, List<(string Name, string Value)> Headers) Decode(HPackDecoder decoder, ReadOnlySpan<byte> block)
    {
        var sink = new HPackTestSink();
        HPackError error = decoder.Decode(block, sink);
        return (error, sink.Headers);
    }
}

/// <summary>Counts fields without allocating, for the allocation test and the benchmarks' shape.</summary>
internal sealed class HPackCountingSink : IHPackHeaderSink
{
    public int Fields;
    public long Bytes;

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Fields++;
        Bytes += name.Length + value.Length;
    }
}
