using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FastGate.Functional.Tests.Infrastructure;

public static class Clients
{
    /// <summary>
    /// An HTTP/1.1-only HttpClient whose connections are counted through ConnectCallback, so a
    /// test can tell whether keep-alive reused them.
    /// </summary>
    public static HttpClient Http11(Uri baseAddress, Action? onConnect = null, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (context, cancellationToken) =>
            {
                onConnect?.Invoke();
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Byte i of every generated body: the mock upstream's pattern 'a' + i % 26.</summary>
    public static byte Pattern(long i) => (byte)('a' + (int)(i % 26));

    public static byte[] PatternBytes(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = Pattern(i);
        }
        return bytes;
    }

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>
/// A read-only, non-seekable stream of <c>length</c> pattern bytes generated on the fly, hashed
/// as it is read: a large upload without a large array. Without a known length HttpClient
/// sends it chunked.
/// </summary>
public sealed class PatternStream(long length) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;

    private string? _sha256;

    /// <summary>SHA-256 of everything read; kept once the end is reached because HttpClient disposes the content stream after sending.</summary>
    public string Sha256Hex() => _sha256 ?? throw new InvalidOperationException($"stream read only to {_position} of {length}");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            buffer[i] = Clients.Pattern(_position + i);
        }
        _position += n;
        _hash.AppendData(buffer[..n]);
        if (_position == length && _sha256 is null)
        {
            _sha256 = Convert.ToHexStringLower(_hash.GetCurrentHash());
        }
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
