namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>A response read off one stream.</summary>
public sealed record H2Response(H2Frame Head, byte[] Body, H2Frame? Trailers)
{
    public int Status => int.Parse(Head.Field(":status") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What the server must do next, checked the way h2spec checks it: frames are read until the
/// expected one arrives (other frames, such as a response to an earlier stream, are passed
/// over), and a case fails on a contrary frame, on the connection closing when that is not an
/// accepted outcome, or when nothing decisive arrives in time. A connection error may show as
/// GOAWAY with the code or as the connection closing; a stream error also as RST_STREAM with the
/// code. Stricter than h2spec in one way: a GOAWAY or RST_STREAM (on the stream in question) with
/// a different code fails at once, since RFC 9113 names the code.
/// </summary>
public static class H2Expect
{
    /// <summary>How long to wait for the decisive frame (generous: CI is a loaded 2-core box).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(6);

    /// <summary>Reads until <paramref name="verdict"/> says pass (true) or fail (false); null frame = connection closed.</summary>
    public static async Task<H2Frame?> UntilAsync(this H2Client client, string expected, Func<H2Frame?, bool?> verdict, TimeSpan? timeout = null)
    {
        var wait = timeout ?? Timeout;
        using var cts = new CancellationTokenSource(wait);
        while (true)
        {
            H2Frame? frame;
            try
            {
                frame = await client.ReadFrameAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"expected {expected}; nothing decisive within {wait.TotalSeconds:0} s. Server sent: {client.Transcript}");
            }
            var outcome = verdict(frame);
            if (outcome == true)
            {
                Record(expected, client);
                return frame;
            }
            if (outcome == false || frame is null)
            {
                throw new Xunit.Sdk.XunitException($"expected {expected}. Server sent: {client.Transcript}");
            }
        }
    }

    /// <summary>With H2CONF_TRANSCRIPTS naming a file, every passed expectation is appended to it with what the server sent (to see how a case passed).</summary>
    private static void Record(string expected, H2Client client)
    {
        if (Environment.GetEnvironmentVariable("H2CONF_TRANSCRIPTS") is { Length: > 0 } path)
        {
            lock (typeof(H2Expect))
            {
                File.AppendAllText(path, $"PASS {expected}\n    {client.Transcript}\n");
            }
        }
    }

    private static string Codes(H2Error[] codes) => string.Join(" or ", codes);

    /// <summary>Connection error: GOAWAY with one of the codes, or the connection closed.</summary>
    public static Task ConnectionErrorAsync(this H2Client client, params H2Error[] codes) =>
        client.UntilAsync($"connection error {Codes(codes)} (GOAWAY with that code, or the connection closed)", frame => frame switch
        {
            null => true,
            { Type: H2Type.GOAWAY } goaway => codes.Contains(goaway.ErrorCode),
            _ => null,
        });

    /// <summary>Stream error on <paramref name="streamId"/>: RST_STREAM with one of the codes, or a connection error with one.</summary>
    public static Task StreamErrorAsync(this H2Client client, uint streamId, params H2Error[] codes) =>
        client.UntilAsync($"stream error {Codes(codes)} on stream {streamId} (RST_STREAM, or GOAWAY with that code, or the connection closed)", frame => frame switch
        {
            null => true,
            { Type: H2Type.GOAWAY } goaway => codes.Contains(goaway.ErrorCode),
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => codes.Contains(reset.ErrorCode),
            _ => null,
        });

    /// <summary>A GOAWAY with exactly this code (the connection closing without one fails).</summary>
    public static async Task<H2Frame> GoAwayAsync(this H2Client client, H2Error code, TimeSpan? timeout = null) =>
        (await client.UntilAsync($"GOAWAY {code}", frame => frame switch
        {
            null => false,
            { Type: H2Type.GOAWAY } goaway => goaway.ErrorCode == code,
            _ => null,
        }, timeout))!;

    /// <summary>The connection closes (frames before the close, a GOAWAY included, are allowed).</summary>
    public static Task ConnectionCloseAsync(this H2Client client, TimeSpan? timeout = null) =>
        client.UntilAsync("the connection closed", frame => frame is null ? true : null, timeout);

    public static async Task PingAckAsync(this H2Client client, byte[] opaque) =>
        await client.UntilAsync($"PING ACK with payload {Convert.ToHexString(opaque)}", frame => frame switch
        {
            null => false,
            { Type: H2Type.PING } ping when ping.IsAck && ping.Payload.AsSpan().SequenceEqual(opaque) => true,
            _ => null,
        });

    /// <summary>A PING ACK with that payload, or the connection closed (both accepted by h2spec).</summary>
    public static async Task PingAckOrCloseAsync(this H2Client client, byte[] opaque) =>
        await client.UntilAsync($"PING ACK with payload {Convert.ToHexString(opaque)} or the connection closed", frame => frame switch
        {
            null => true,
            { Type: H2Type.PING } ping when ping.IsAck && ping.Payload.AsSpan().SequenceEqual(opaque) => true,
            _ => null,
        });

    public static async Task SettingsAckAsync(this H2Client client) =>
        await client.UntilAsync("SETTINGS ACK", frame => frame switch
        {
            null => false,
            { Type: H2Type.SETTINGS } settings when settings.IsAck => true,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        });

    /// <summary>A response HEADERS frame on the stream; a reset of the stream or a GOAWAY fails.</summary>
    public static async Task<H2Frame> HeadersAsync(this H2Client client, uint streamId) =>
        (await client.UntilAsync($"a HEADERS frame on stream {streamId}", frame => frame switch
        {
            null => false,
            { Type: H2Type.HEADERS } headers when headers.StreamId == streamId => true,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => false,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        }))!;

    /// <summary>The first DATA frame on the stream.</summary>
    public static async Task<H2Frame> DataAsync(this H2Client client, uint streamId) =>
        (await client.UntilAsync($"a DATA frame on stream {streamId}", frame => frame switch
        {
            null => false,
            { Type: H2Type.DATA } data when data.StreamId == streamId => true,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => false,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        }))!;

    /// <summary>The whole response on a stream: head, body and trailers, up to END_STREAM.</summary>
    public static async Task<H2Response> ResponseAsync(this H2Client client, uint streamId, TimeSpan? timeout = null)
    {
        H2Frame? head = null;
        H2Frame? trailers = null;
        var body = new MemoryStream();
        await client.UntilAsync($"a whole response on stream {streamId} (up to END_STREAM)", frame =>
        {
            switch (frame)
            {
                case null:
                    return false;
                case { Type: H2Type.HEADERS } headers when headers.StreamId == streamId:
                    if (head is null && headers.Field(":status") is { } status && status.StartsWith('1'))
                    {
                        return null;
                    }
                    if (head is null)
                    {
                        head = headers;
                    }
                    else
                    {
                        trailers = headers;
                    }
                    return headers.EndStream ? true : null;
                case { Type: H2Type.DATA } data when data.StreamId == streamId:
                    if (head is null)
                    {
                        return false;
                    }
                    body.Write(data.Data);
                    return data.EndStream ? true : null;
                case { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId:
                    return false;
                case { Type: H2Type.GOAWAY } goaway when goaway.ErrorCode != H2Error.NO_ERROR || goaway.LastStreamId < streamId:
                    return false;
                default:
                    return null;
            }
        }, timeout);
        return new H2Response(head!, body.ToArray(), trailers);
    }
}
