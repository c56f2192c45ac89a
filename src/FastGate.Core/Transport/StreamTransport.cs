using System.IO.Pipelines;
using FastGate.Core.Buffers;
using Nerdbank.Streams;

namespace FastGate.Core.Transport;

/// <summary>
/// A connection spoken through a <see cref="Stream"/> layered on another transport (TLS:
/// an <see cref="System.Net.Security.SslStream"/> over the socket's pipes), seen again as pipes so
/// the HTTP code reads and writes it as it does a plain socket. Disposing it closes the stream
/// and the transport under it.
/// </summary>
public sealed class StreamTransport : ITransport
{
    private static readonly PipeOptions Options = new(
        pool: BlockMemoryPool.Default,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    private readonly Stream _stream;
    private readonly ITransport _inner;
    private readonly IDuplexPipe _pipe;
    private int _disposed;

    public StreamTransport(Stream stream, ITransport inner)
    {
        _stream = stream;
        _inner = inner;
        _pipe = stream.UsePipe(pipeOptions: Options);
    }

    /// <summary>
    /// The transport under the stream, as a <see cref="Stream"/> to build the stream on. An epoll
    /// connection's pipes are its loop's only, so its stream does its I/O by way of the loop.
    /// </summary>
    public static Stream AsStream(ITransport inner) =>
        inner is Epoll.EpollConnection connection ? new Epoll.EpollConnectionStream(connection) : inner.AsStream();

    public ITransport Inner => _inner;

    public Stream Stream => _stream;

    public PipeReader Input => _pipe.Input;

    public PipeWriter Output => _pipe.Output;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _pipe.Input.Complete();
        _pipe.Output.Complete();
        _stream.Dispose();
        _inner.Dispose();
    }
}
