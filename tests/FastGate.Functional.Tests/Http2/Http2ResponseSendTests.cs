using FastGate.Core.Http2;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// How a stream's response leaves: sent in the exchange's own flush when it fits the client's
/// windows, handed to the stream's pump when it must wait for a WINDOW_UPDATE, and cut by a
/// RST_STREAM in either state. Each case is followed by streams on the same connection, which
/// reuse the stream objects, and must get exactly their own answers.
/// </summary>
[Collection(Http2GatewayCollection.Name)]
public sealed class Http2ResponseSendTests(Http2GatewayFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private const int SmallWindow = 1000;

    private int Port => fixture.Gateway.Port;

    /// <summary>The frames of one stream until its END_STREAM (or RST_STREAM): whether HEADERS came first, the DATA bytes, the END_STREAM seen.</summary>
    private static async Task<(bool HeadersFirst, int DataBytes, bool Ended)> ReadStreamAsync(Http2WireClient client, int streamId)
    {
        var (end, seen) = await client.ReadUntilAsync(f => f.StreamId == streamId && (f.Has(Http2Flags.EndStream) || f.Type == Http2FrameType.RstStream), Generous);
        var own = seen.Where(f => f.StreamId == streamId).ToList();
        var data = own.Where(f => f.Type == Http2FrameType.Data).Sum(f => f.Payload.Length);
        return (own.Count > 0 && own[0].Type == Http2FrameType.Headers, data, end is { Type: not Http2FrameType.RstStream });
    }

    /// <summary>DATA of <paramref name="streamId"/> until <paramref name="bytes"/> arrived; the bytes seen.</summary>
    private static async Task<int> ReadDataAsync(Http2WireClient client, int streamId, int bytes)
    {
        var total = 0;
        await client.ReadUntilAsync(f =>
        {
            if (f.StreamId == streamId && f.Type == Http2FrameType.Data)
            {
                total += f.Payload.Length;
            }
            return total >= bytes || (f.StreamId == streamId && f.Has(Http2Flags.EndStream));
        }, Generous);
        return total;
    }

    [Fact]
    public async Task SmallResponses_OneStreamAfterAnother_EachEndsWithItsWholeBody()
    {
        await using var client = await Http2WireClient.ConnectAsync(Port);
        // Room on the connection for all of them (each stream has its 65,535 bytes).
        await client.WindowUpdateAsync(0, 1 << 20);
        int[] sizes = [0, 1, 100, 5_000, 16_384, 40_000, 0, 7, 60_000, 3];
        var results = new List<(bool, int, bool)>();
        for (var i = 0; i < sizes.Length; i++)
        {
            var id = 1 + 2 * i;
            var chunked = i % 2 == 1 ? "?chunked=1" : "";
            await client.GetAsync(id, $"/mock/bytes/{sizes[i]}{chunked}", Port);
            results.Add(await ReadStreamAsync(client, id));
        }

        Assert.Equal(sizes.Select(size => (true, size, true)), results);
    }

    [Fact]
    public async Task ResponseLargerThanTheStreamWindow_WaitsForTheUpdateThenEnds_AndTheNextStreamsAreWhole()
    {
        await using var client = await Http2WireClient.ConnectAsync(Port, [new Http2Setting(Http2SettingId.InitialWindowSize, SmallWindow)]);
        await client.GetAsync(1, "/mock/bytes/5000", Port);
        var beforeUpdate = await ReadDataAsync(client, 1, SmallWindow);
        await client.WindowUpdateAsync(1, 4_000);
        var rest = await ReadStreamAsync(client, 1);
        // The stream object of stream 1 serves these, after a life that waited for window.
        await client.GetAsync(3, "/mock/bytes/600", Port);
        var small = await ReadStreamAsync(client, 3);
        await client.GetAsync(5, "/mock/chunked/2500", Port);
        var partOfChunked = await ReadDataAsync(client, 5, SmallWindow);
        await client.WindowUpdateAsync(5, 2_000);
        var chunked = await ReadStreamAsync(client, 5);

        Assert.Equal(SmallWindow, beforeUpdate);
        Assert.Equal((false, 4_000, true), rest);
        Assert.Equal((true, 600, true), small);
        Assert.Equal(SmallWindow, partOfChunked);
        Assert.Equal((false, 1_500, true), chunked);
    }

    [Fact]
    public async Task ResetWhileWaitingForWindow_LaterStreamsOnTheConnectionAreAnswered()
    {
        await using var client = await Http2WireClient.ConnectAsync(Port, [new Http2Setting(Http2SettingId.InitialWindowSize, SmallWindow)]);
        await client.GetAsync(1, "/mock/bytes/200000", Port);
        var beforeReset = await ReadDataAsync(client, 1, SmallWindow);
        await client.ResetAsync(1, Http2ErrorCode.Cancel);
        await client.GetAsync(3, "/mock/bytes/900", Port);
        var next = await ReadStreamAsync(client, 3);
        await client.GetAsync(5, "/mock/bytes/3000", Port);
        await ReadDataAsync(client, 5, SmallWindow);
        await client.WindowUpdateAsync(5, 2_000);
        var waited = await ReadStreamAsync(client, 5);

        Assert.Equal(SmallWindow, beforeReset);
        Assert.Equal((true, 900, true), next);
        Assert.Equal((false, 2_000, true), waited);
    }

    [Fact]
    public async Task ResetBeforeTheUpstreamAnswers_TheLateAnswerIsDroppedAndLaterStreamsAreAnswered()
    {
        await using var client = await Http2WireClient.ConnectAsync(Port);
        await client.GetAsync(1, "/mock/delay/1000", Port);
        await client.ResetAsync(1, Http2ErrorCode.Cancel);
        // Past the upstream's answer to stream 1, which the exchange then writes to a reset stream.
        await Task.Delay(1500);
        await client.GetAsync(3, "/mock/bytes/1234", Port);
        var (found, seen) = await client.ReadUntilAsync(f => f.StreamId == 3 && f.Has(Http2Flags.EndStream), Generous);

        Assert.NotNull(found);
        Assert.DoesNotContain(seen, f => f.StreamId == 1 && f.Type is Http2FrameType.Headers or Http2FrameType.Data);
        Assert.Equal(1234, seen.Where(f => f.StreamId == 3 && f.Type == Http2FrameType.Data).Sum(f => f.Payload.Length));
    }

    [Fact]
    public async Task ResponseEndsBeforeTheRequest_TrailersStillInFlightAreIgnored_AndTheTableStaysInStep()
    {
        await using var client = await Http2WireClient.ConnectAsync(Port);
        // A POST whose body is still to come, answered at once (no route: 404).
        await client.RequestAsync(1, "POST", "/nowhere", Port, endStream: false);
        var (reset, seen) = await client.ReadUntilAsync(f => f.StreamId == 1 && f.Type == Http2FrameType.RstStream, Generous);
        // The client's trailers crossed the RST_STREAM on the wire; they add a field to the HPACK
        // table, which the next request's encoding refers past.
        await client.TrailersAsync(1, "x-checksum", "e3b0c442");
        await client.RequestAsync(3, "GET", "/mock/bytes/700", Port, endStream: true);
        var (end, later) = await client.ReadUntilAsync(f => f.StreamId == 3 && f.Has(Http2Flags.EndStream) || f.Type == Http2FrameType.GoAway, Generous);

        Assert.Contains(seen, f => f.StreamId == 1 && f.Has(Http2Flags.EndStream));
        Assert.NotNull(reset);
        Assert.Equal(Http2ErrorCode.NoError, (Http2ErrorCode)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(reset.Value.Payload));
        Assert.DoesNotContain(later, f => f.Type == Http2FrameType.GoAway);
        Assert.Equal(Http2FrameType.Data, end?.Type);
        Assert.Equal(700, later.Where(f => f.StreamId == 3 && f.Type == Http2FrameType.Data).Sum(f => f.Payload.Length));
    }
}
