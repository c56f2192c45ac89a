using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Functional.Tests.UpstreamHttp2;

/// <summary>
/// A minimal h2c server on loopback, frame by frame, for upstream behaviours a real server does
/// not show on demand: it refuses streams (RST_STREAM REFUSED_STREAM) or says GOAWAY with a last
/// stream id below a stream it got, before answering. Every stream's request body is recorded;
/// an answered stream gets 200 with "conn=N stream=S len=L sha256=H" of the body it received.
/// </summary>
public sealed class RawH2Upstream : IAsyncDisposable
{
    /// <summary>What the server does with a whole request (END_STREAM seen), by how many it has seen before.</summary>
    public enum Behaviour
    {
        /// <summary>The first request is refused with RST_STREAM(REFUSED_STREAM); later ones are answered.</summary>
        RefuseFirst,
        /// <summary>The first request gets GOAWAY(last_stream_id = its id - 2) instead of an answer; later ones are answered.</summary>
        GoAwayFirst,
        /// <summary>Every request is refused.</summary>
        RefuseAll,
    }

    /// <summary>One whole request the server received.</summary>
    public sealed record Received(int Connection, int StreamId, string Method, byte[] Body, bool Answered);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Behaviour _behaviour;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accept;
    private int _connectionCount;
    private int _requests;

    public RawH2Upstream(Behaviour behaviour)
    {
        _behaviour = behaviour;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The whole requests received so far, in the order they ended.</summary>
    public IReadOnlyList<Received> Requests => [.. _received];

    public int Connections => Volatile.Read(ref _connectionCount);

    public static string Describe(int connection, int streamId, byte[] body) =>
        $"conn={connection} stream={streamId} len={body.Length} sha256={Convert.ToHexString(SHA256.HashData(body))}";

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var index = Interlocked.Increment(ref _connectionCount) - 1;
                lock (_connections)
                {
                    _connections.Add(ServeAsync(socket, index));
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task ServeAsync(Socket socket, int connection)
    {
        using var _ = socket;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var decoder = new HPackDecoder(4096, 1024 * 1024);
        var bodies = new Dictionary<int, MemoryStream>();
        var methods = new Dictionary<int, string>();
        var header = new byte[9];
        try
        {
            var preface = new byte[24];
            await stream.ReadExactlyAsync(preface, _stop.Token);
            await stream.WriteAsync(Frame(0x4, 0, 0, []), _stop.Token);
            while (true)
            {
                await stream.ReadExactlyAsync(header, _stop.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = header[3];
                var flags = header[4];
                var id = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7fffffff);
                var payload = new byte[length];
                await stream.ReadExactlyAsync(payload, _stop.Token);
                var endStream = (flags & 0x1) != 0;
                switch (type)
                {
                    case 0x4 when (flags & 0x1) == 0:
                        await stream.WriteAsync(Frame(0x4, 0x1, 0, []), _stop.Token);
                        continue;
                    case 0x6 when (flags & 0x1) == 0:
                        await stream.WriteAsync(Frame(0x6, 0x1, 0, payload), _stop.Token);
                        continue;
                    case 0x1:
                        // The gateway sends a whole block in one HEADERS frame for these small heads.
                        var fields = new FieldList();
                        if (decoder.Decode(Unpad(payload, flags, priority: true), fields) != HPackError.None)
                        {
                            return;
                        }
                        if (bodies.ContainsKey(id))
                        {
                            // Trailers.
                            break;
                        }
                        bodies[id] = new MemoryStream();
                        methods[id] = fields.Method ?? "";
                        break;
                    case 0x0:
                        if (bodies.TryGetValue(id, out var body))
                        {
                            body.Write(Unpad(payload, flags, priority: false));
                        }
                        if (length > 0)
                        {
                            // Gives the window back at once, so a body of any size flows.
                            await stream.WriteAsync(Concat(WindowUpdate(0, length), WindowUpdate(id, length)), _stop.Token);
                        }
                        break;
                    default:
                        continue;
                }
                if (!endStream || !bodies.TryGetValue(id, out var whole))
                {
                    continue;
                }
                var seen = Interlocked.Increment(ref _requests) - 1;
                var bytes = whole.ToArray();
                bodies.Remove(id);
                var answer = _behaviour switch
                {
                    Behaviour.RefuseAll => false,
                    _ => seen > 0,
                };
                _received.Enqueue(new Received(connection, id, methods[id], bytes, answer));
                if (answer)
                {
                    var text = Encoding.ASCII.GetBytes(Describe(connection, id, bytes));
                    // :status 200 (static index 8), then content-type as a literal without indexing.
                    var block = Concat([0x88], [0x0f, 0x10, 10], "text/plain"u8.ToArray());
                    await stream.WriteAsync(Concat(Frame(0x1, 0x4, id, block), Frame(0x0, 0x1, id, text)), _stop.Token);
                }
                else if (_behaviour == Behaviour.GoAwayFirst)
                {
                    var goAway = new byte[8];
                    BinaryPrimitives.WriteUInt32BigEndian(goAway, (uint)Math.Max(0, id - 2));
                    await stream.WriteAsync(Frame(0x7, 0, 0, goAway), _stop.Token);
                }
                else
                {
                    var code = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(code, 0x7);
                    await stream.WriteAsync(Frame(0x3, 0, id, code), _stop.Token);
                }
            }
        }
        catch (Exception)
        {
            // The gateway closed the connection, or the server stops.
        }
    }

    private static byte[] Unpad(byte[] payload, byte flags, bool priority)
    {
        var span = payload.AsSpan();
        var pad = 0;
        if ((flags & 0x8) != 0)
        {
            pad = span[0];
            span = span[1..];
        }
        if (priority && (flags & 0x20) != 0)
        {
            span = span[5..];
        }
        return span[..(span.Length - pad)].ToArray();
    }

    private static byte[] WindowUpdate(int id, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        return Frame(0x8, 0, id, payload);
    }

    private static byte[] Frame(byte type, byte flags, int id, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)id);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accept;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private sealed class FieldList : IHPackHeaderSink
    {
        public string? Method { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.SequenceEqual(":method"u8))
            {
                Method = Encoding.ASCII.GetString(value);
            }
        }
    }
}
