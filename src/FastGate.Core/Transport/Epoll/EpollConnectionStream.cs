using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// An <see cref="EpollConnection"/> as a <see cref="Stream"/> for code that runs off its loop (an
/// <see cref="System.Net.Security.SslStream"/> and the pipes above it). The connection's pipes and
/// buffer pool belong to the loop thread, so every read and write is posted to the loop and the
/// caller awaits its completion, which resumes it off the loop. Like any stream, one read and one
/// write may be pending at a time, so each has one reusable operation: a read or a write costs
/// no allocation (it used to cost a task, a completion source, a closure and a state machine).
/// </summary>
public sealed class EpollConnectionStream : Stream
{
    private readonly ReadOperation _read;
    private readonly WriteOperation _write;

    public EpollConnectionStream(EpollConnection connection)
    {
        _read = new ReadOperation(connection);
        _write = new WriteOperation(connection);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? new ValueTask<int>(0) : _read.Start(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? ValueTask.CompletedTask : _write.Start(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// The one read: posted to the loop, where it waits on the connection's input (a continuation
    /// cached once, no state machine) and copies what came into the caller's buffer.
    /// </summary>
    private sealed class ReadOperation : IValueTaskSource<int>, IThreadPoolWorkItem
    {
        private readonly EpollConnection _connection;
        private readonly Action _onRead;
        private ManualResetValueTaskSourceCore<int> _core;
        private Memory<byte> _buffer;
        private ValueTaskAwaiter<ReadResult> _pending;

        public ReadOperation(EpollConnection connection)
        {
            _connection = connection;
            _onRead = OnRead;
            // The caller goes on off the loop, never on the loop's thread.
            _core.RunContinuationsAsynchronously = true;
        }

        public ValueTask<int> Start(Memory<byte> buffer)
        {
            _core.Reset();
            _buffer = buffer;
            var token = _core.Version;
            _connection.Loop.Post(this);
            return new ValueTask<int>(this, token);
        }

        void IThreadPoolWorkItem.Execute() => Read();

        private void Read()
        {
            try
            {
                var input = _connection.Input;
                while (true)
                {
                    var reading = input.ReadAsync();
                    if (!reading.IsCompleted)
                    {
                        _pending = reading.GetAwaiter();
                        _pending.UnsafeOnCompleted(_onRead);
                        return;
                    }
                    if (Took(input, reading.Result))
                    {
                        return;
                    }
                }
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        private void OnRead()
        {
            try
            {
                var result = _pending.GetResult();
                _pending = default;
                if (Took(_connection.Input, result))
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }
            Read();
        }

        /// <summary>Hands on what <paramref name="result"/> holds; false when it held nothing and the read goes on.</summary>
        private bool Took(System.IO.Pipelines.PipeReader input, in ReadResult result)
        {
            var available = result.Buffer;
            if (!available.IsEmpty)
            {
                var count = (int)Math.Min(available.Length, _buffer.Length);
                available.Slice(0, count).CopyTo(_buffer.Span);
                input.AdvanceTo(available.GetPosition(count));
                _buffer = default;
                _core.SetResult(count);
                return true;
            }
            input.AdvanceTo(available.End);
            if (result.IsCompleted)
            {
                _buffer = default;
                _core.SetResult(0);
                return true;
            }
            return false;
        }

        private void Fail(Exception ex)
        {
            _buffer = default;
            _core.SetException(new IOException("the connection failed while reading", ex));
        }

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>The one write: posted to the loop, where the bytes are written and flushed.</summary>
    private sealed class WriteOperation : IValueTaskSource, IThreadPoolWorkItem
    {
        private readonly EpollConnection _connection;
        private readonly Action _onFlushed;
        private ManualResetValueTaskSourceCore<bool> _core;
        private ReadOnlyMemory<byte> _buffer;
        private ValueTaskAwaiter<FlushResult> _pending;

        public WriteOperation(EpollConnection connection)
        {
            _connection = connection;
            _onFlushed = OnFlushed;
            _core.RunContinuationsAsynchronously = true;
        }

        public ValueTask Start(ReadOnlyMemory<byte> buffer)
        {
            _core.Reset();
            _buffer = buffer;
            var token = _core.Version;
            _connection.Loop.Post(this);
            return new ValueTask(this, token);
        }

        void IThreadPoolWorkItem.Execute()
        {
            try
            {
                var output = _connection.Output;
                output.Write(_buffer.Span);
                _buffer = default;
                var flushing = output.FlushAsync();
                if (!flushing.IsCompleted)
                {
                    _pending = flushing.GetAwaiter();
                    _pending.UnsafeOnCompleted(_onFlushed);
                    return;
                }
                Flushed(flushing.Result);
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        private void OnFlushed()
        {
            try
            {
                var result = _pending.GetResult();
                _pending = default;
                Flushed(result);
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        private void Flushed(FlushResult result)
        {
            if (result.IsCompleted)
            {
                _core.SetException(new IOException("the connection is closed"));
                return;
            }
            _core.SetResult(true);
        }

        private void Fail(Exception ex)
        {
            _buffer = default;
            _core.SetException(new IOException("the connection failed while writing", ex));
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
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
