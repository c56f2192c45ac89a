using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using FastGate.Core.HPack;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// A raw HTTP/2 client on a bare socket: it writes whatever bytes a test gives it and reads the
/// server's frames one by one. The server's header blocks are decoded with FastGate.Core's
/// <see cref="HPackDecoder"/> (every block, in order, so its dynamic table stays in step). It
/// acknowledges the server's SETTINGS and, unless told not to, gives back flow-control window as
/// DATA arrives (in halves, like a real client, so it does not flood the server with updates).
/// One reader at a time; sends may come from any task. Over TLS (ALPN h2) a pump task reads the
/// SslStream into a queue, so a read that times out never cancels the TLS stream itself.
/// </summary>
public sealed class H2Client : IAsyncDisposable
{
    private const int DefaultWindow = 65535;

    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<string> _transcript = [];
    private readonly Dictionary<uint, long> _streamConsumed = [];
    private byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private HPackDecoder? _decoder;
    private string? _decoderUnusable;
    private long _connectionConsumed;
    private SslStream? _tls;
    private Channel<byte[]>? _incoming;
    private byte[]? _chunk;
    private int _chunkOffset;
    private Task? _pump;
    private int _elided;

    private H2Client(Socket socket, int port)
    {
        _socket = socket;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The SETTINGS the server announced (the last value of each).</summary>
    public Dictionary<ushort, uint> ServerSettings { get; } = [];

    /// <summary>Give window back as DATA arrives (on by default).</summary>
    public bool AutoWindowUpdate { get; set; } = true;

    /// <summary>The longest frame payload the server sent (it must stay within our SETTINGS_MAX_FRAME_SIZE, 16384 unless we announce more).</summary>
    public int LargestFrame { get; private set; }

    /// <summary>The server closed the connection (FIN or reset).</summary>
    public bool Closed { get; private set; }

    /// <summary>A send failed because the server had gone (the reads tell how).</summary>
    public bool SendFailed { get; private set; }

    /// <summary>What the server sent so far, for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.Count == 0 ? "nothing" : string.Join(" | ", _transcript);
            }
        }
    }

    public H2RequestBlock Request(string method = "GET", string path = "/") => H2RequestBlock.Request(Port, method, path);

    /// <param name="receiveBufferSize">A small receive buffer (for tests where the client stops reading), or 0 for the default.</param>
    /// <param name="from">A loopback source address other than 127.0.0.1 (a client of its own to the server), or null.</param>
    public static async Task<H2Client> ConnectAsync(int port, int receiveBufferSize = 0, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = receiveBufferSize;
        }
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return new H2Client(socket, port);
    }

    /// <summary>A TLS connection offering only ALPN h2, trusting <paramref name="authority"/>; fails unless h2 is chosen.</summary>
    public static async Task<H2Client> ConnectTlsAsync(int port, string host, X509Certificate2 authority)
    {
        var client = await ConnectAsync(port);
        var tls = new SslStream(new NetworkStream(client._socket, ownsSocket: false), leaveInnerStreamOpen: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is X509Certificate2 leaf && chain.Build(leaf);
            },
        }, cts.Token);
        if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            throw new Xunit.Sdk.XunitException($"ALPN chose \"{tls.NegotiatedApplicationProtocol}\" instead of h2");
        }
        client._tls = tls;
        client._incoming = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        client._pump = Task.Run(client.PumpAsync);
        return client;
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await _tls!.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }
                _incoming!.Writer.TryWrite(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
        _incoming!.Writer.TryComplete();
    }

    /// <summary>Reads what arrived into <paramref name="target"/>; 0 at the end of the connection.</summary>
    private async ValueTask<int> ReceiveAsync(Memory<byte> target, CancellationToken cancellationToken)
    {
        if (_tls is null)
        {
            return await _socket.ReceiveAsync(target, SocketFlags.None, cancellationToken);
        }
        if (_chunk is null || _chunkOffset == _chunk.Length)
        {
            if (!await _incoming!.Reader.WaitToReadAsync(cancellationToken) || !_incoming.Reader.TryRead(out _chunk))
            {
                return 0;
            }
            _chunkOffset = 0;
        }
        var count = Math.Min(target.Length, _chunk.Length - _chunkOffset);
        _chunk.AsMemory(_chunkOffset, count).CopyTo(target);
        _chunkOffset += count;
        return count;
    }

    /// <summary>Sends bytes; a failure because the server has gone is recorded, not thrown.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            if (_tls is not null)
            {
                await _tls.WriteAsync(bytes, cts.Token);
                await _tls.FlushAsync(cts.Token);
                return;
            }
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
                bytes = bytes[sent..];
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            SendFailed = true;
            Note($"(our send failed: {ex.GetType().Name} {(ex as SocketException)?.SocketErrorCode})");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public Task SendAsync(params byte[][] frames) => SendAsync(new ReadOnlyMemory<byte>(frames.Length == 1 ? frames[0] : H2FrameBuilder.Concat(frames)));

    /// <summary>
    /// The connection preface, our SETTINGS (INITIAL_WINDOW_SIZE 65535 unless others are given),
    /// then waits for the server's SETTINGS and its ACK of ours, acknowledging the server's.
    /// </summary>
    public async Task HandshakeAsync(params (ushort Id, uint Value)[] settings)
    {
        if (settings.Length == 0)
        {
            settings = [(H2Setting.INITIAL_WINDOW_SIZE, DefaultWindow)];
        }
        await SendAsync(H2FrameBuilder.Preface, H2FrameBuilder.Settings(settings));
        var serverSettings = false;
        var acked = false;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!(serverSettings && acked))
        {
            H2Frame? frame;
            try
            {
                frame = await ReadFrameAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"handshake: no SETTINGS and SETTINGS ACK within 10 s; server sent: {Transcript}");
            }
            if (frame is null)
            {
                throw new Xunit.Sdk.XunitException($"handshake: the server closed the connection; server sent: {Transcript}");
            }
            if (frame.Type == H2Type.SETTINGS)
            {
                if (frame.IsAck)
                {
                    acked = true;
                }
                else
                {
                    serverSettings = true;
                }
            }
        }
    }

    /// <summary>The next frame, or null once the server has closed the connection. Cancelling loses nothing.</summary>
    public async Task<H2Frame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var frame = await ReadRawFrameAsync(cancellationToken);
        if (frame is null)
        {
            return null;
        }
        if (frame.Type is H2Type.HEADERS or H2Type.PUSH_PROMISE)
        {
            frame = await CompleteHeaderBlockAsync(frame, cancellationToken);
        }
        Note(frame.ToString());
        switch (frame.Type)
        {
            case H2Type.SETTINGS when !frame.IsAck:
                foreach (var (id, value) in frame.Settings())
                {
                    ServerSettings[id] = value;
                }
                await SendAsync(H2FrameBuilder.SettingsAck());
                break;
            case H2Type.DATA when AutoWindowUpdate && frame.Payload.Length > 0:
                await GiveBackWindowAsync(frame);
                break;
        }
        return frame;
    }

    private async Task GiveBackWindowAsync(H2Frame frame)
    {
        _connectionConsumed += frame.Payload.Length;
        if (_connectionConsumed >= DefaultWindow / 2)
        {
            await SendAsync(H2FrameBuilder.WindowUpdate(0, (uint)_connectionConsumed));
            _connectionConsumed = 0;
        }
        if (frame.EndStream)
        {
            _streamConsumed.Remove(frame.StreamId);
            return;
        }
        _streamConsumed.TryGetValue(frame.StreamId, out var consumed);
        consumed += frame.Payload.Length;
        if (consumed >= DefaultWindow / 2)
        {
            await SendAsync(H2FrameBuilder.WindowUpdate(frame.StreamId, (uint)consumed));
            consumed = 0;
        }
        _streamConsumed[frame.StreamId] = consumed;
    }

    /// <summary>Joins the CONTINUATION frames of a block and decodes it.</summary>
    private async Task<H2Frame> CompleteHeaderBlockAsync(H2Frame first, CancellationToken cancellationToken)
    {
        var block = new List<byte>(HeaderFragment(first).ToArray());
        var continuations = 0;
        string? error = null;
        var endHeaders = first.Has(H2Flag.END_HEADERS);
        while (!endHeaders)
        {
            var next = await ReadRawFrameAsync(cancellationToken);
            if (next is null)
            {
                error = "connection closed inside the header block";
                break;
            }
            if (next.Type != H2Type.CONTINUATION || next.StreamId != first.StreamId)
            {
                error = $"server interleaved {next} inside a header block";
                Note(error);
                break;
            }
            continuations++;
            block.AddRange(next.Payload);
            endHeaders = next.Has(H2Flag.END_HEADERS);
        }
        List<(string, string)>? fields = null;
        if (error is null)
        {
            (fields, error) = Decode(block.ToArray());
        }
        return new H2Frame(first.Type, first.Flags, first.StreamId, first.Payload) { Fields = fields, DecodeError = error, Continuations = continuations };
    }

    private static ReadOnlySpan<byte> HeaderFragment(H2Frame frame)
    {
        ReadOnlySpan<byte> payload = frame.Payload;
        var pad = 0;
        if (frame.Has(H2Flag.PADDED) && payload.Length > 0)
        {
            pad = payload[0];
            payload = payload[1..];
        }
        if (frame.Type == H2Type.PUSH_PROMISE && payload.Length >= 4)
        {
            payload = payload[4..];
        }
        else if (frame.Type == H2Type.HEADERS && frame.Has(H2Flag.PRIORITY) && payload.Length >= 5)
        {
            payload = payload[5..];
        }
        return payload[..Math.Max(0, payload.Length - pad)];
    }

    private (List<(string, string)>? Fields, string? Error) Decode(byte[] block)
    {
        if (_decoderUnusable is not null)
        {
            return (null, _decoderUnusable);
        }
        try
        {
            _decoder ??= new HPackDecoder(maxTableSize: 4096, maxHeaderListSize: 16 * 1024 * 1024);
            var sink = new FieldList();
            var result = _decoder.Decode(block, sink);
            if (result != HPackError.None)
            {
                _decoderUnusable = $"the server's header block does not decode: {result}";
                return (null, _decoderUnusable);
            }
            return (sink.Fields, null);
        }
        catch (Exception ex)
        {
            _decoderUnusable = $"HPackDecoder threw {ex.GetType().Name}: {ex.Message}";
            return (null, _decoderUnusable);
        }
    }

    private async Task<H2Frame?> ReadRawFrameAsync(CancellationToken cancellationToken)
    {
        if (!await EnsureAsync(9, cancellationToken))
        {
            return null;
        }
        var head = _buffer.AsSpan(_start, 9);
        var length = (head[0] << 16) | (head[1] << 8) | head[2];
        if (!await EnsureAsync(9 + length, cancellationToken))
        {
            return null;
        }
        head = _buffer.AsSpan(_start, 9);
        var frame = new H2Frame(head[3], head[4], BinaryPrimitives.ReadUInt32BigEndian(head[5..]) & 0x7fffffff, _buffer.AsSpan(_start + 9, length).ToArray());
        _start += 9 + length;
        LargestFrame = Math.Max(LargestFrame, length);
        return frame;
    }

    /// <summary>Buffers at least <paramref name="count"/> bytes; false when the connection ends first.</summary>
    private async Task<bool> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (Closed)
            {
                return false;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
            }
            int read;
            try
            {
                read = await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            }
            catch (SocketException ex)
            {
                Closed = true;
                Note($"(connection {ex.SocketErrorCode})");
                return false;
            }
            if (read == 0)
            {
                Closed = true;
                Note(_end > _start ? $"(closed by the server after {_end - _start} bytes that are not a whole frame)" : "(closed by the server)");
                return false;
            }
            _end += read;
        }
        return true;
    }

    /// <summary>Reads and drops whatever arrives for <paramref name="duration"/> (or until the server closes).</summary>
    public async Task DrainAsync(TimeSpan duration)
    {
        using var cts = new CancellationTokenSource(duration);
        try
        {
            while (await ReadFrameAsync(cts.Token) is not null)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Note(string line)
    {
        // The first frames and the last ones say what happened; a flood's middle does not.
        lock (_transcript)
        {
            if (_transcript.Count == 80)
            {
                _transcript.RemoveAt(21);
                _transcript[20] = $"... {++_elided} more ...";
            }
            _transcript.Add(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _tls?.Dispose();
        _socket.Dispose();
        if (_pump is not null)
        {
            await _pump;
        }
        _sendLock.Dispose();
    }

    private sealed class FieldList : IHPackHeaderSink
    {
        public List<(string, string)> Fields { get; } = [];

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
            Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
    }
}
