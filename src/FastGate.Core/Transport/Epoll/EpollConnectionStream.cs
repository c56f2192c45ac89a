using System.Buffers;
using System.IO.Pipelines;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// An <see cref="EpollConnection"/> as a <see cref="Stream"/> for code that runs off its loop (an
/// <see cref="System.Net.Security.SslStream"/> and the pipes above it). The connection's pipes and
/// buffer pool belong to the loop thread, so every read and write is posted to the loop and the
/// caller awaits its completion. Like any stream, one read and one write may be pending at a time.
/// </summary>
public sealed class EpollConnectionStream(EpollConnection connection) : Stream
{
    private readonly EventLoop _loop = connection.Loop;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return new ValueTask<int>(0);
        }
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() => _ = ReadOnLoopAsync(buffer, done));
        return new ValueTask<int>(done.Task);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async Task ReadOnLoopAsync(Memory<byte> buffer, TaskCompletionSource<int> done)
    {
        try
        {
            var input = connection.Input;
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var available = result.Buffer;
                if (!available.IsEmpty)
                {
                    var count = (int)Math.Min(available.Length, buffer.Length);
                    available.Slice(0, count).CopyTo(buffer.Span);
                    input.AdvanceTo(available.GetPosition(count));
                    done.TrySetResult(count);
                    return;
                }
                input.AdvanceTo(available.End);
                if (result.IsCompleted)
                {
                    done.TrySetResult(0);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            done.TrySetException(new IOException("the connection failed while reading", ex));
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() => _ = WriteOnLoopAsync(buffer, done));
        return new ValueTask(done.Task);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async Task WriteOnLoopAsync(ReadOnlyMemory<byte> buffer, TaskCompletionSource done)
    {
        try
        {
            var output = connection.Output;
            output.Write(buffer.Span);
            var result = await output.FlushAsync().ConfigureAwait(false);
            if (result.IsCompleted)
            {
                done.TrySetException(new IOException("the connection is closed"));
                return;
            }
            done.TrySetResult();
        }
        catch (Exception ex)
        {
            done.TrySetException(new IOException("the connection failed while writing", ex));
        }
    }

    // Writes are flushed as they are made.
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // The connection is closed by its transport's Dispose (StreamTransport closes both).
}
