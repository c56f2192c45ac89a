using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// The defense contract of the HTTP/2 front, attack by attack against the low-limit daemon
/// (<see cref="Http2GatewayFixture.DefenseLimits"/>): the attacking connection gets the answer the
/// contract names (GOAWAY ENHANCE_YOUR_CALM, RST_STREAM REFUSED_STREAM or CANCEL, a 431), the
/// counter <c>fastgate_http2_defense_total{listener,kind}</c> moves, and a well-behaved HttpClient
/// on a connection of its own keeps getting 200s during the attack and after it. Every attack is
/// bounded in frames and time and stays on loopback.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class DefenseTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private FastGateProcess Defense => Fixture.Defense;

    /// <summary>
    /// fastgate_http2_defense_total for the listener and kind; 0 while absent. Read here rather than
    /// with FastGateProcess.MetricSum, whose name pattern has no digits (http2).
    /// </summary>
    private static async Task<double> CounterAsync(FastGateProcess gateway, string kind)
    {
        var prefix = $"fastgate_http2_defense_total{{listener=\"{Http2GatewayFixture.Listener}\",kind=\"{kind}\"}} ";
        foreach (var line in (await gateway.MetricsAsync()).Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    private static async Task AssertCounterRoseAsync(FastGateProcess gateway, string kind, double before)
    {
        // The counter may be written just after the GOAWAY: give it a moment.
        var after = before;
        for (var i = 0; i < 50 && after <= before; i++)
        {
            after = await CounterAsync(gateway, kind);
            if (after <= before)
            {
                await Task.Delay(100);
            }
        }
        Assert.True(after > before, $"fastgate_http2_defense_total{{listener=\"{Http2GatewayFixture.Listener}\",kind=\"{kind}\"}} stayed at {before}");
    }

    /// <summary>Sends <paramref name="count"/> frames in chunks while reading, and stops once the expected GOAWAY (or a close) has come.</summary>
    private static async Task<H2Frame> FloodUntilGoAwayAsync(H2Client client, Func<int, byte[]> frameAt, int count, int chunk = 50)
    {
        var goaway = client.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, Long);
        for (var i = 0; i < count && !goaway.IsCompleted && !client.SendFailed; i += chunk)
        {
            var frames = new byte[Math.Min(chunk, count - i)][];
            for (var j = 0; j < frames.Length; j++)
            {
                frames[j] = frameAt(i + j);
            }
            await client.SendAsync(Concat(frames));
        }
        return await goaway;
    }

    private static byte[] Get(H2Client client, uint streamId, string path = "/") => Headers(streamId, client.Request("GET", path).ToArray(), endStream: true);

    [Fact]
    public async Task Defense_RapidReset_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "rapid_reset");
        var client = await OpenAsync(Defense);
        // Each stream asks for a slow answer and is reset at once, before any response head.
        var goaway = await FloodUntilGoAwayAsync(client, i => Concat(Get(client, (uint)(1 + 2 * i), "/delay/1000"), RstStream((uint)(1 + 2 * i), H2Error.CANCEL)), 300, chunk: 10);
        Assert.True(goaway.LastStreamId <= 599 && (goaway.LastStreamId == 0 || goaway.LastStreamId % 2 == 1), $"GOAWAY must carry the last client stream processed; got {goaway}");
        await client.ConnectionCloseAsync(Long);
        await AssertCounterRoseAsync(Defense, "rapid_reset", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_RapidReset_AsManyResetsAsTheLimit_ConnectionGoesOn()
    {
        var before = await CounterAsync(Defense, "rapid_reset");
        var client = await OpenAsync(Defense);
        // 50 premature resets: the limit itself, not past it.
        var frames = new List<byte[]>();
        for (uint i = 0; i < 50; i++)
        {
            frames.Add(Concat(Get(client, 1 + 2 * i, "/delay/1000"), RstStream(1 + 2 * i, H2Error.CANCEL)));
        }
        await client.SendAsync(Concat([.. frames]));
        await client.SendAsync(Get(client, 101));
        Assert.Equal(200, (await client.ResponseAsync(101, Long)).Status);
        Assert.Equal(before, await CounterAsync(Defense, "rapid_reset"));
    }

    [Fact]
    public async Task Defense_RapidReset_ResetsNotMoreThanHalfOfStreams_ConnectionGoesOn()
    {
        var before = await CounterAsync(Defense, "rapid_reset");
        var client = await OpenAsync(Defense);
        // 130 streams answered in full (8 at a time, the concurrency limit) ...
        uint next = 1;
        for (var batch = 0; batch < 17; batch++)
        {
            var ids = new List<uint>();
            var frames = new List<byte[]>();
            for (var i = 0; i < 8 && next < 2 * 130; i++, next += 2)
            {
                ids.Add(next);
                frames.Add(Get(client, next));
            }
            await client.SendAsync(Concat([.. frames]));
            Assert.All((await client.StatusesAsync(ids, Long)).Values, status => Assert.Equal(200, status));
        }
        // ... then 60 premature resets: past the limit of 50, but not more than half of 190 streams.
        var resets = new List<byte[]>();
        for (var i = 0; i < 60; i++, next += 2)
        {
            resets.Add(Concat(Get(client, next, "/delay/1000"), RstStream(next, H2Error.CANCEL)));
        }
        await client.SendAsync(Concat([.. resets]));
        await client.SendAsync(Get(client, next));
        Assert.Equal(200, (await client.ResponseAsync(next, Long)).Status);
        Assert.Equal(before, await CounterAsync(Defense, "rapid_reset"));
    }

    [Fact]
    public async Task Defense_PingFlood_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "control_flood");
        var client = await OpenAsync(Defense);
        await FloodUntilGoAwayAsync(client, i => Ping(BitConverter.GetBytes((long)i)), 1000);
        await AssertCounterRoseAsync(Defense, "control_flood", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_SettingsFlood_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "control_flood");
        var client = await OpenAsync(Defense);
        await FloodUntilGoAwayAsync(client, _ => Settings(), 1000);
        await AssertCounterRoseAsync(Defense, "control_flood", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_WindowUpdateFlood_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "control_flood");
        var client = await OpenAsync(Defense);
        await FloodUntilGoAwayAsync(client, _ => WindowUpdate(0, 1), 1000);
        await AssertCounterRoseAsync(Defense, "control_flood", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_WindowUpdatesForEveryDataFrame_AreNoFlood()
    {
        // A client that gives window back for every DATA frame it reads, on the stream and on the
        // connection, sends two WINDOW_UPDATEs per frame: on a 12 MB download far more than the
        // 200 a second of this daemon's control bucket, and still only what our DATA earned it.
        const int Size = 12_000_000;
        var before = await CounterAsync(Defense, "control_flood");
        var client = await OpenAsync(Defense);
        client.AutoWindowUpdate = false;
        await client.SendAsync(Request(client, 1, path: $"/bytes/{Size}"));

        long received = 0;
        var grants = 0;
        using var cts = new CancellationTokenSource(Long);
        while (true)
        {
            var frame = await client.ReadFrameAsync(cts.Token);
            Assert.True(frame is not null && frame.Type is not (H2Type.GOAWAY or H2Type.RST_STREAM),
                $"the download stopped after {received} bytes and {grants} grants: {client.Transcript}");
            if (frame.Type != H2Type.DATA || frame.StreamId != 1)
            {
                continue;
            }
            received += frame.Payload.Length;
            if (frame.EndStream)
            {
                break;
            }
            if (frame.Payload.Length > 0)
            {
                var length = (uint)frame.Payload.Length;
                await client.SendAsync(WindowUpdate(1, length), WindowUpdate(0, length));
                grants += 2;
            }
        }

        Assert.Equal(Size, received);
        Assert.True(grants > 1000, $"only {grants} grants: the download did not test the bucket");
        Assert.Equal(before, await CounterAsync(Defense, "control_flood"));
        await client.SendAsync(Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Defense_PriorityFlood_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "control_flood");
        var client = await OpenAsync(Defense);
        await FloodUntilGoAwayAsync(client, i => Priority((uint)(1 + 2 * i), 0, false, 16), 1000);
        await AssertCounterRoseAsync(Defense, "control_flood", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_EmptyDataFlood_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "empty_data");
        var client = await OpenAsync(Defense);
        await client.SendAsync(Headers(1, client.Request("POST", "/sink").ToArray(), endStream: false));
        await FloodUntilGoAwayAsync(client, _ => Data(1, ReadOnlySpan<byte>.Empty, endStream: false), 1000);
        await AssertCounterRoseAsync(Defense, "empty_data", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_ContinuationFlood_65Continuations_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "continuation");
        var client = await OpenAsync(Defense);
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false));
        // 65 small fragments, none ending the block.
        await FloodUntilGoAwayAsync(client, i => Continuation(1, H2RequestBlock.Fields(($"x-c{i}", "v")).ToArray(), endHeaders: false), 65, chunk: 5);
        await AssertCounterRoseAsync(Defense, "continuation", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_64Continuations_AreServed()
    {
        var client = await OpenAsync(Defense);
        var frames = new List<byte[]> { Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false) };
        for (var i = 0; i < 64; i++)
        {
            frames.Add(Continuation(1, H2RequestBlock.Fields(($"x-c{i}", "v")).ToArray(), endHeaders: i == 63));
        }
        await client.SendAsync(Concat([.. frames]));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
    }

    [Fact]
    public async Task Defense_HeaderBlockOverMaxHeaderListSize_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "continuation");
        var client = await OpenAsync(Defense);
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false));
        // 4 KiB fragments that never end the block: past the 8 KiB limit after the third.
        var big = new string('b', 4000);
        await FloodUntilGoAwayAsync(client, i => Continuation(1, H2RequestBlock.Fields(($"x-big{i}", big)).ToArray(), endHeaders: false), 8, chunk: 1);
        await AssertCounterRoseAsync(Defense, "continuation", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_HpackBomb_431AndConnectionGoesOn()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "header_list");
        var client = await OpenAsync(Defense);
        // About 1 KiB on the wire that decodes to about 14 KiB: one 1000-octet field added to the
        // server's table, then referenced 12 times by index (one octet each).
        var bomb = client.Request().IndexedLiteral("x-bomb", new string('b', 1000));
        for (var i = 0; i < 12; i++)
        {
            bomb.Indexed(62);
        }
        Assert.True(bomb.Length < 1200);
        await client.SendAsync(Headers(1, bomb.ToArray(), endStream: true));
        var refused = await client.HeadersAsync(1);
        Assert.True(refused.Field(":status") == "431" && refused.EndStream, $"expected HEADERS :status 431 with END_STREAM on stream 1; got {refused}. Server sent: {client.Transcript}");
        // The connection goes on, and the server's table stayed in step: index 62 is still x-bomb.
        await client.SendAsync(Get(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
        await client.SendAsync(Headers(5, client.Request("GET", "/echo").Indexed(62).ToArray(), endStream: true));
        var echo = await client.ResponseAsync(5);
        Assert.Equal(200, echo.Status);
        using (var json = System.Text.Json.JsonDocument.Parse(echo.Body))
        {
            Assert.Equal(new string('b', 1000), json.RootElement.GetProperty("headers").GetProperty("x-bomb").GetString());
        }
        await AssertCounterRoseAsync(Defense, "header_list", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_StreamsBeyondMaxConcurrentStreams_RefusedThenGoAway()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "refused");
        var client = await OpenAsync(Defense);
        Assert.True(client.ServerSettings.TryGetValue(H2Setting.MAX_CONCURRENT_STREAMS, out var max) && max == 8, $"the server must announce SETTINGS_MAX_CONCURRENT_STREAMS 8; got {string.Join(", ", client.ServerSettings)}");
        var open = new List<byte[]>();
        for (uint i = 0; i < 8; i++)
        {
            open.Add(Get(client, 1 + 2 * i, "/delay/4000"));
        }
        await client.SendAsync(Concat([.. open]));
        await client.SendAsync(Get(client, 17));
        await client.UntilAsync("RST_STREAM REFUSED_STREAM on stream 17 (the ninth concurrent stream)", frame => frame switch
        {
            null => false,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == 17 => reset.ErrorCode == H2Error.REFUSED_STREAM,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        }, Long);
        // More than 100 refusals on one connection end it.
        await FloodUntilGoAwayAsync(client, i => Get(client, (uint)(19 + 2 * i)), 110, chunk: 10);
        await AssertCounterRoseAsync(Defense, "refused", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_ZeroStreamWindowStall_RstStreamCancel()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "zero_window");
        var client = await OpenAsync(Defense, (H2Setting.INITIAL_WINDOW_SIZE, 0));
        client.AutoWindowUpdate = false;
        await client.SendAsync(Get(client, 1, "/bytes/100000"));
        await client.UntilAsync("RST_STREAM CANCEL on stream 1 once its window has stayed 0 for stall_timeout (2 s)", frame => frame switch
        {
            null => false,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == 1 => reset.ErrorCode == H2Error.CANCEL,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        }, Long);
        // Only the stream ends: the connection still answers.
        var ping = "stalled!"u8.ToArray();
        await client.SendAsync(Ping(ping));
        await client.PingAckAsync(ping);
        await AssertCounterRoseAsync(Defense, "zero_window", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_ZeroConnectionWindowStall_GoAwayEnhanceYourCalm()
    {
        await using var bystander = await WellBehavedClient.StartAsync(Defense.BaseUri);
        var before = await CounterAsync(Defense, "zero_window");
        // Stream windows of 1 MiB, the connection's left at 65535 and never given back.
        var client = await OpenAsync(Defense, (H2Setting.INITIAL_WINDOW_SIZE, 1024 * 1024));
        client.AutoWindowUpdate = false;
        await client.SendAsync(Get(client, 1, "/bytes/200000"));
        await client.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, Long);
        await AssertCounterRoseAsync(Defense, "zero_window", before);
        await bystander.AssertUnaffectedAsync();
    }

    [Fact]
    public async Task Defense_OutputBacklog_ClientThatNeverReads_IsClosed()
    {
        // A bucket so large that only the backlog rule can stop this client.
        await using var upstream = await MockUpstreamProcess.StartAsync("backlog");
        await using var gateway = await FastGateProcess.StartAsync(Http2GatewayFixture.Config(upstream.Address, """
            [http2]
            max_control_frames_per_second = 1000000
            """));
        await using var bystander = await WellBehavedClient.StartAsync(gateway.BaseUri);
        var before = await CounterAsync(gateway, "output_backlog");
        var client = await ConnectAsync(gateway, receiveBufferSize: 4096);
        await client.HandshakeAsync();
        // PINGs sent and never read: their ACKs pile up on the server. At most 400k (6.8 MB).
        var chunk = new byte[2000][];
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = Ping(BitConverter.GetBytes((long)i));
        }
        var pings = Concat(chunk);
        for (var sent = 0; sent < 200 && !client.SendFailed; sent++)
        {
            await client.SendAsync(pings);
        }
        await AssertCounterRoseAsync(gateway, "output_backlog", before);
        await client.ConnectionCloseAsync(Long);
        await bystander.AssertUnaffectedAsync();
    }
}
