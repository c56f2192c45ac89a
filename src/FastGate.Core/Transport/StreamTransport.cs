using System.IO.Pipelines;
using System.Net.Security;
using FastGate.Core.Buffers;
using Nerdbank.Streams;

namespace FastGate.Core.Transport;

/// <summary>
/// A connection spoken through a <see cref="Stream"/> layered on another transport (TLS: an
/// <see cref="Tls.OpenSsl.OpenSslStream"/> or an <see cref="SslStream"/> over the socket's pipes), seen again as pipes so the HTTP code reads
/// and writes it as it does a plain socket. Two pumps move the bytes: stream to input pipe, output
/// pipe to stream. Disposing it lets the output pump write what is already in the pipe (and a TLS
/// close_notify), for a few seconds at most, then closes the stream and the transport under it.
/// </summary>
public sealed class StreamTransport : ITransport, ISendProgress
{
    // How long a closing connection may take to write its last bytes to a peer that does not read.
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly Stream _stream;
    private readonly ITransport _inner;
    private readonly Pipe _input = new(InlinePipeOptions.Default);
    private readonly Pipe _output = new(InlinePipeOptions.Default);
    private long _bytesSent;
    private readonly Task _writing;
    private int _disposed;

    public StreamTransport(Stream stream, ITransport inner)
    {
        _stream = stream;
        _inner = inner;
        _ = ReadLoopAsync();
        _writing = WriteLoopAsync();
    }

    /// <summary>
    /// The transport under the stream, as a <see cref="Stream"/> to build the stream on: a socket's
    /// own stream where it has one; an epoll connection's pipes are its loop's only, so its stream
    /// does its I/O by way of the loop.
    /// </summary>
    public static Stream AsStream(ITransport inner) => inner switch
    {
        NetworkStreamTransport socket => socket.Stream,
        Epoll.EpollConnection connection => new Epoll.EpollConnectionStream(connection),
        _ => inner.AsStream(),
    };

    public ITransport Inner => _inner;

    public Stream Stream => _stream;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    /// <summary>
    /// Bytes the stream below took, less what the socket under it still holds for the peer where
    /// it says so. On a TLS stream the socket counts records, a few bytes more per record than the
    /// plaintext counted here: close enough to judge a rate by.
    /// </summary>
    public long BytesDelivered
    {
        get
        {
            var sent = Interlocked.Read(ref _bytesSent);
            var held = _inner is NetworkStreamTransport socket ? socket.UnacknowledgedBytes : 0;
            return Math.Max(0, sent - held);
        }
    }

    private async Task ReadLoopAsync()
    {
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(BlockMemoryPool.DefaultBlockSize);
                var read = await _stream.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                writer.Advance(read);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The reader sees the failure as a broken connection, as on a socket.
            await writer.CompleteAsync(new IOException("the connection failed while reading", ex)).ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await _stream.WriteAsync(segment).ConfigureAwait(false);
                    Interlocked.Add(ref _bytesSent, segment.Length);
                }
                if (!buffer.IsEmpty)
                {
                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
            // close_notify: the peer can tell a finished response from a cut connection.
            if (_stream is SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }
            else if (_stream is Tls.OpenSsl.OpenSslStream tls)
            {
                await tls.ShutdownAsync().ConfigureAwait(false);
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The writer sees the failure at its next flush, as on a socket.
            await reader.CompleteAsync(ex).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _input.Reader.Complete();
        _output.Writer.Complete();
        _ = CloseAsync();
    }

    private async Task CloseAsync()
    {
        try
        {
            await _writing.WaitAsync(CloseGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer does not read: what is left is dropped with the connection.
        }
        try
        {
            _stream.Dispose();
        }
        catch (Exception)
        {
            // A stream that failed to close is closed all the same once its transport is.
        }
        _inner.Dispose();
    }
}
