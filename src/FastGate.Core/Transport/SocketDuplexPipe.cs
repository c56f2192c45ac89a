using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using FastGate.Core.Buffers;

namespace FastGate.Core.Transport;

/// <summary>
/// A socket behind two pipes, with our own receive and send loops on <see cref="Socket"/>'s
/// ValueTask APIs (which reuse one cached operation object per socket, so steady-state I/O
/// allocates nothing). The receive loop waits with a zero-byte read before taking a buffer, so
/// an idle connection holds no receive memory; pipe continuations run inline on the socket's
/// completion thread.
/// </summary>
public sealed class SocketDuplexPipe : ITransport
{
    private static readonly PipeOptions Options = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 64 * 1024,
        resumeWriterThreshold: 32 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    private readonly Socket _socket;
    private readonly Pipe _receive = new(Options);
    private readonly Pipe _send = new(Options);
    private int _disposed;

    public SocketDuplexPipe(Socket socket)
    {
        _socket = socket;
        _ = ReceiveLoopAsync();
        _ = SendLoopAsync();
    }

    public PipeReader Input => _receive.Reader;
    public PipeWriter Output => _send.Writer;

    private async Task ReceiveLoopAsync()
    {
        var writer = _receive.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                var memory = writer.GetMemory(BlockMemoryPool.DefaultBlockSize);
                var received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }
                writer.Advance(received);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.OperationAborted or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            // A reset ends the stream like a close; the reader sees its end.
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            error = ex;
        }
        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var reader = _send.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    reader.AdvanceTo(buffer.Start);
                    continue;
                }
                foreach (var segment in buffer)
                {
                    var remaining = segment;
                    while (remaining.Length > 0)
                    {
                        var sent = await _socket.SendAsync(remaining, SocketFlags.None).ConfigureAwait(false);
                        remaining = remaining[sent..];
                    }
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        await reader.CompleteAsync().ConfigureAwait(false);
        // Our writer side is done: unblock a receive still waiting on a dead connection.
        Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _send.Writer.Complete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }
}
