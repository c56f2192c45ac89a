using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace FastGate.Lifecycle;

/// <summary>
/// sd_notify(3) over the datagram socket named by $NOTIFY_SOCKET (a path, or an abstract name
/// starting with '@'). Without $NOTIFY_SOCKET every call does nothing, so the daemon runs the
/// same outside systemd.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;

    public SystemdNotifier()
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }
        _endPoint = new UnixDomainSocketEndPoint(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        WatchdogInterval = ReadWatchdogInterval();
    }

    public bool Enabled => _socket is not null;

    /// <summary>Half the WATCHDOG_USEC systemd asked for, or null when it asked for none.</summary>
    public TimeSpan? WatchdogInterval { get; }

    public void Ready(string status) => Send($"READY=1\nSTATUS={status}");

    /// <summary>RELOADING=1 with the CLOCK_MONOTONIC time, as Type=notify-reload requires.</summary>
    public void Reloading() => Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading");

    public void Stopping() => Send("STOPPING=1\nSTATUS=draining");

    public void Status(string status) => Send($"STATUS={status}");

    public void Watchdog() => Send("WATCHDOG=1");

    private void Send(string message)
    {
        if (_socket is null)
        {
            return;
        }
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _endPoint!);
        }
        catch (SocketException)
        {
            // systemd gone or the socket not ours: notifications are best effort.
        }
    }

    /// <summary>Stopwatch on Linux reads CLOCK_MONOTONIC, the clock systemd compares against.</summary>
    private static long MonotonicMicroseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    private static TimeSpan? ReadWatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (!long.TryParse(usec, out var value) || value <= 0)
        {
            return null;
        }
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString())
        {
            return null;
        }
        return TimeSpan.FromMicroseconds(value / 2.0);
    }

    public void Dispose() => _socket?.Dispose();
}
