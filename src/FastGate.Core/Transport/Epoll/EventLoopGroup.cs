namespace FastGate.Core.Transport.Epoll;

/// <summary>The gateway's event loops, one thread each; <c>workers</c> in the config says how many.</summary>
public sealed class EventLoopGroup : IDisposable
{
    private readonly EventLoop[] _loops;

    public EventLoopGroup(int count, Action<Exception> onError)
    {
        if (count <= 0)
        {
            count = Environment.ProcessorCount;
        }
        _loops = new EventLoop[count];
        for (var i = 0; i < count; i++)
        {
            _loops[i] = new EventLoop(i, onError);
        }
        foreach (var loop in _loops)
        {
            loop.Start();
        }
    }

    public IReadOnlyList<EventLoop> Loops => _loops;

    /// <summary>Every loop's <see cref="EventLoop.BusyPoll"/> (config <c>busy_poll</c>); a reload may change it.</summary>
    public TimeSpan BusyPoll
    {
        get => _loops[0].BusyPoll;
        set
        {
            foreach (var loop in _loops)
            {
                loop.BusyPoll = value;
            }
        }
    }

    /// <summary>True on Linux, where the own epoll transport runs.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}
