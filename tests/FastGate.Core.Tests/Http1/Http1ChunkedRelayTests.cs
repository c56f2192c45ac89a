using System.Buffers;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

public class Http1ChunkedRelayTests
{
    // Extensions (token and quoted), events split across chunks, a trailer section.
    private const string Body =
        "e;ext=1\r\nid: 1\ndata: a\n\r\n" +
        "7;q=\"x;y\"\r\n\nid: 2\n\r\n" +
        "8\r\ndata: b\n\r\n" +
        "1\r\n\n\r\n" +
        "0;last\r\nx-trailer: done\r\ngrpc-status: 0\r\n\r\n";

    private const string Payload = "id: 1\ndata: a\n\nid: 2\ndata: b\n\n";

    /// <summary>Collects the chunk data the relay hands over.</summary>
    private readonly struct PayloadSink(ArrayBufferWriter<byte> data) : IHttp1BodySink
    {
        public void Data(ReadOnlySpan<byte> bytes) => data.Write(bytes);

        public void Trailers(ReadOnlySpan<byte> fieldLines, bool first) => throw new InvalidOperationException("the relay passes trailers as they are");

        public void End() => throw new InvalidOperationException("the relay passes the last chunk as it is");

        public void EndAfterTrailers() => End();
    }

    /// <summary>Decoded data and trailers, framed as the tests read them.</summary>
    private sealed class DecodeSink : IHttp1BodySink
    {
        public readonly ArrayBufferWriter<byte> Data = new();
        public string Trailers = "";
        public bool Ended;

        void IHttp1BodySink.Data(ReadOnlySpan<byte> data) => Data.Write(data);

        void IHttp1BodySink.Trailers(ReadOnlySpan<byte> fieldLines, bool first) => Trailers += Text(fieldLines);

        void IHttp1BodySink.End() => Ended = true;

        void IHttp1BodySink.EndAfterTrailers() => Ended = true;
    }

    private static Http1ChunkedRelay Started()
    {
        var relay = new Http1ChunkedRelay();
        relay.Reset();
        return relay;
    }

    /// <summary>Relays the pieces one call each, as reads would deliver them.</summary>
    private static (Http1CopyStatus Status, string Output, string Payload, long Consumed) RelayPieces(ref Http1ChunkedRelay relay, IEnumerable<ReadOnlySequence<byte>> pieces)
    {
        var output = new ArrayBufferWriter<byte>();
        var data = new ArrayBufferWriter<byte>();
        var sink = new PayloadSink(data);
        var status = Http1CopyStatus.NeedMoreData;
        long consumed = 0;
        foreach (var piece in pieces)
        {
            status = relay.Relay(piece, output, ref sink, untilChunkStart: false, out var used, out var written);
            consumed += used;
            Assert.True(used <= piece.Length);
            if (status != Http1CopyStatus.NeedMoreData)
            {
                break;
            }
            Assert.Equal(piece.Length, used);
            Assert.True(written <= used);
        }
        return (status, Text(output.WrittenSpan), Text(data.WrittenSpan), consumed);
    }

    [Fact]
    public void Relay_WholeBody_OutputIsTheInputAsItCame()
    {
        var relay = Started();
        var input = Bytes(Body + "HTTP/1.1 200 OK\r\n");

        var (status, output, payload, consumed) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(input)]);

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal(Body, output);
        Assert.Equal(Payload, payload);
        Assert.Equal(Body.Length, consumed);
    }

    [Fact]
    public void Relay_SplitAtEveryByte_SameOutputAndPayload()
    {
        var input = Bytes(Body);
        for (var cut = 0; cut <= input.Length; cut++)
        {
            var relay = Started();
            var (status, output, payload, consumed) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(input, 0, cut), new ReadOnlySequence<byte>(input, cut, input.Length - cut)]);

            Assert.Equal(Http1CopyStatus.Complete, status);
            Assert.Equal(Body, output);
            Assert.Equal(Payload, payload);
            Assert.Equal(input.Length, consumed);
        }
    }

    [Fact]
    public void Relay_OneByteAtATime_SameOutputAndPayload()
    {
        var input = Bytes(Body);
        var relay = Started();

        var (status, output, payload, _) = RelayPieces(ref relay, Enumerable.Range(0, input.Length).Select(i => new ReadOnlySequence<byte>(input, i, 1)));

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal(Body, output);
        Assert.Equal(Payload, payload);
    }

    [Fact]
    public void Relay_MultiSegmentSequenceSplitAtEveryByte_SameOutputAndPayload()
    {
        var input = Bytes(Body);
        for (var cut = 1; cut < input.Length; cut++)
        {
            var relay = Started();
            var (status, output, payload, consumed) = RelayPieces(ref relay, [Split(input, cut)]);

            Assert.Equal(Http1CopyStatus.Complete, status);
            Assert.Equal(Body, output);
            Assert.Equal(Payload, payload);
            Assert.Equal(input.Length, consumed);
        }
    }

    // Plain chunks as an event source writes them, several to a read: lower and upper case hex,
    // sizes of 7 hex digits (leading zeros) and of 8, then the last chunk.
    private const string PlainChunks =
        "e\r\nid: 1\ndata: a\n\r\n" +
        "E\r\nid: 2\ndata: b\n\r\n" +
        "000000e\r\nid: 3\ndata: c\n\r\n" +
        "0000000e\r\nid: 4\ndata: d\n\r\n" +
        "1\r\n\n\r\n" +
        "0\r\n\r\n";

    [Fact]
    public void Relay_PlainChunksSplitAtEveryByte_OutputAsItCameAndEveryChunksData()
    {
        var input = Bytes(PlainChunks);
        const string payload = "id: 1\ndata: a\nid: 2\ndata: b\nid: 3\ndata: c\nid: 4\ndata: d\n\n";
        for (var cut = 0; cut <= input.Length; cut++)
        {
            var relay = Started();
            var (status, output, data, consumed) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(input, 0, cut), new ReadOnlySequence<byte>(input, cut, input.Length - cut)]);

            Assert.Equal(Http1CopyStatus.Complete, status);
            Assert.Equal(PlainChunks, output);
            Assert.Equal(payload, data);
            Assert.Equal(input.Length, consumed);
        }
    }

    [Theory]
    // Whole chunks in one read, then one whose data is not followed by CRLF: the good ones go.
    [InlineData("3\r\nabc\r\n3\r\ndef\r\n3\r\nghiX\r\n", 22, "3\r\nabc\r\n3\r\ndef\r\n3\r\nghi")]
    [InlineData("3\r\nabc\r\n3\r\nghi\n\r", 14, "3\r\nabc\r\n3\r\nghi")]
    // A size line cut by a bare CR, by a space, by a sign.
    [InlineData("3\r\nabc\r\n3\rdef\r\n", 10, "3\r\nabc\r\n")]
    [InlineData("3\r\nabc\r\n3 \r\ndef\r\n", 10, "3\r\nabc\r\n")]
    [InlineData("3\r\nabc\r\n+3\r\ndef\r\n", 8, "3\r\nabc\r\n")]
    public void Relay_BadChunkAfterWholeChunks_InvalidFramingAfterTheGoodOnes(string body, int badAt, string atLeast)
    {
        var input = Bytes(body);
        var relay = Started();
        var (status, output, _, _) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(input)]);

        Assert.Equal(Http1CopyStatus.InvalidFraming, status);
        Assert.True(output.Length <= badAt, $"wrote '{output}'");
        Assert.StartsWith(atLeast, output, StringComparison.Ordinal);
        Assert.Equal(body[..output.Length], output);
    }

    [Theory]
    // A bad chunk line after a good chunk: the good chunk goes, nothing of the bad line.
    [InlineData("5\r\nhello\r\nZZ\r\nmore", 10, "5\r\nhello\r\n")]
    // Data not followed by its CRLF: the data goes, not the bytes that should have been the CRLF.
    [InlineData("5\r\nhelloXY3\r\nabc\r\n", 8, "5\r\nhello")]
    [InlineData("5\r\nhello\rX", 9, "5\r\nhello")]
    // A bare LF after the size, a 0x prefix, a size of 17 hex digits.
    [InlineData("5\nhello\r\n", 1, "")]
    [InlineData("0x5\r\nhello\r\n", 1, "")]
    [InlineData("00000000000000005\r\nhello\r\n", 16, "")]
    // A trailer line that is not a field line.
    [InlineData("1\r\na\r\n0\r\nbad trailer\r\n\r\n", 12, "1\r\na\r\n")]
    public void Relay_MalformedChunk_InvalidFramingAndNothingFromTheBadByteOn(string body, int badAt, string atLeast)
    {
        var input = Bytes(body);
        // Whole, and split at every byte: what went out is the body's own bytes, all before the bad one.
        for (var cut = 0; cut <= input.Length; cut++)
        {
            var relay = Started();
            var (status, output, _, _) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(input, 0, cut), new ReadOnlySequence<byte>(input, cut, input.Length - cut)]);

            Assert.Equal(Http1CopyStatus.InvalidFraming, status);
            Assert.True(output.Length <= badAt, $"cut {cut}: wrote '{output}'");
            Assert.Equal(body[..output.Length], output);
            Assert.StartsWith(atLeast, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("", true, true, "0\r\n\r\n")]
    [InlineData("5\r\nhel", false, false, null)]
    [InlineData("5\r\nhello", false, true, "\r\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r", false, true, "\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r\n", true, true, "0\r\n\r\n")]
    [InlineData("5\r\nhello\r\n1", false, false, null)]
    [InlineData("5;ext\r\n", false, false, null)]
    [InlineData("5\r\nhello\r\n0\r\n", false, false, null)]
    public void WriteEnd_AtAChunkEnd_MakesAWholeBody(string relayed, bool atStart, bool atEnd, string? end)
    {
        var relay = Started();
        var (status, output, _, _) = RelayPieces(ref relay, [new ReadOnlySequence<byte>(Bytes(relayed))]);
        Assert.Equal(Http1CopyStatus.NeedMoreData, status);

        Assert.Equal(atStart, relay.AtChunkStart);
        Assert.Equal(atEnd, relay.AtChunkEnd);
        if (end is null)
        {
            return;
        }
        var tail = new ArrayBufferWriter<byte>();
        Assert.Equal(end.Length, relay.WriteEnd(tail));
        Assert.Equal(end, Text(tail.WrittenSpan));
        // What the receiver got is a whole chunked body.
        var whole = Bytes(output + end);
        var (data, decoded, _, consumed) = DecodeChunked(whole, [whole.Length]);
        Assert.Equal(Http1ChunkStatus.Complete, decoded);
        Assert.Equal(whole.Length, consumed);
        Assert.Equal(relayed.Contains("hello", StringComparison.Ordinal) ? "hello" : "", Text(data));
    }

    [Fact]
    public void Relay_UntilChunkStart_StopsAfterTheChunkAndDecodeGoesOn()
    {
        var input = Bytes(Body);
        // Stopping inside the first chunk: it is relayed to its end, and the rest decodes to the rest of the body.
        for (var cut = 1; cut < 25; cut++)
        {
            var relay = Started();
            var output = new ArrayBufferWriter<byte>();
            var data = new ArrayBufferWriter<byte>();
            var sink = new PayloadSink(data);
            relay.Relay(new ReadOnlySequence<byte>(input, 0, cut), output, ref sink, untilChunkStart: false, out var first, out _);
            Assert.Equal(cut, first);

            var rest = new ReadOnlySequence<byte>(input, cut, input.Length - cut);
            var status = relay.Relay(rest, output, ref sink, untilChunkStart: true, out var second, out _);

            Assert.Equal(Http1CopyStatus.NeedMoreData, status);
            Assert.True(relay.AtChunkStart);
            Assert.Equal("e;ext=1\r\nid: 1\ndata: a\n\r\n", Text(output.WrittenSpan));
            Assert.Equal("id: 1\ndata: a\n", Text(data.WrittenSpan));
            Assert.Equal(25, cut + second);

            var decoded = new DecodeSink();
            var end = relay.Decode(rest.Slice(second), ref decoded, out var third);
            Assert.Equal(Http1CopyStatus.Complete, end);
            Assert.Equal(input.Length, cut + second + third);
            Assert.Equal("\nid: 2\ndata: b\n\n", Text(decoded.Data.WrittenSpan));
            Assert.Equal("x-trailer: done\r\ngrpc-status: 0\r\n", decoded.Trailers);
            Assert.True(decoded.Ended);
        }
    }

    [Fact]
    public void Relay_UntilChunkStartAtAChunkStart_ConsumesNothing()
    {
        var relay = Started();
        var output = new ArrayBufferWriter<byte>();
        var sink = new PayloadSink(new ArrayBufferWriter<byte>());

        var status = relay.Relay(new ReadOnlySequence<byte>(Bytes(Body)), output, ref sink, untilChunkStart: true, out var consumed, out var written);

        Assert.Equal(Http1CopyStatus.NeedMoreData, status);
        Assert.Equal(0, consumed);
        Assert.Equal(0, written);
    }
}
