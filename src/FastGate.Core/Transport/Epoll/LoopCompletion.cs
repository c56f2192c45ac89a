using System.Threading.Tasks.Sources;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The pending read or flush of a loop connection, as the core of an
/// <see cref="IValueTaskSource{TResult}"/>. Smaller than ManualResetValueTaskSourceCore: it keeps
/// how the operation ended, not its result (the owner builds that from its own state when it is
/// taken), which matters in an object every idle connection holds. Completion and continuation
/// both happen on the loop thread, so the continuation always runs inline.
/// </summary>
internal struct LoopCompletion
{
    public const byte Pending = 0;
    public const byte Succeeded = 1;
    public const byte Canceled = 2;
    public const byte Faulted = 3;

    private Action<object?>? _continuation;
    private object? _state;
    private short _version;
    private byte _status;

    public readonly short Version => _version;

    /// <summary>Starts a new operation; tokens of earlier ones are refused from now on.</summary>
    public void Reset()
    {
        _version++;
        _status = Pending;
        _continuation = null;
        _state = null;
    }

    public readonly ValueTaskSourceStatus GetStatus(short token)
    {
        Validate(token);
        return _status switch
        {
            Pending => ValueTaskSourceStatus.Pending,
            Faulted => ValueTaskSourceStatus.Faulted,
            _ => ValueTaskSourceStatus.Succeeded,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token)
    {
        Validate(token);
        if (_status != Pending)
        {
            continuation(state);
            return;
        }
        _continuation = continuation;
        _state = state;
    }

    /// <summary>Ends the operation as <paramref name="status"/> and runs the awaiting code inline.</summary>
    public void Complete(byte status)
    {
        _status = status;
        var continuation = _continuation;
        var state = _state;
        _continuation = null;
        _state = null;
        continuation?.Invoke(state);
    }

    /// <summary>How the operation with <paramref name="token"/> ended.</summary>
    public readonly byte Take(short token)
    {
        Validate(token);
        return _status;
    }

    private readonly void Validate(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("The operation was already consumed or belongs to an earlier one.");
        }
    }
}
