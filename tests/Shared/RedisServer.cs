using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FastGate.Testing;

/// <summary>
/// A redis-server of the test's own on a free loopback port, with nothing saved to disk
/// (<c>--save "" --appendonly no</c>), never a system-wide instance. <see cref="Stop"/> kills it to
/// simulate an outage; <see cref="Start"/> brings it back on the same port. Disposing kills it.
/// redis-server must be on PATH (./run.sh test installs it).
/// </summary>
public sealed class RedisServer : IDisposable
{
    private Process? _process;

    private RedisServer(int port)
    {
        Port = port;
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public bool IsRunning => _process is { HasExited: false };

    public static RedisServer StartNew()
    {
        // Another process may take the port between our probe and redis binding it: try again.
        for (var attempt = 0; ; attempt++)
        {
            var server = new RedisServer(FreePort.Next());
            try
            {
                server.Start();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                server.Dispose();
            }
        }
    }

    public void Start()
    {
        if (IsRunning)
        {
            return;
        }
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning" })
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} (port {Port} taken?)");
            }
            if (Ping())
            {
                return;
            }
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"redis-server did not answer on {Address} within 15 s");
    }

    /// <summary>Kills the server at once, as a crash or a network cut would look to clients.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung or overloaded Redis.</summary>
    public void Pause() => SendSignal("STOP");

    public void Resume() => SendSignal("CONT");

    public void Dispose()
    {
        if (IsRunning)
        {
            Resume();
        }
        Stop();
    }

    private void SendSignal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process!.Id.ToString()]);
        kill.WaitForExit(10_000);
    }

    private bool Ping()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, Port);
            socket.Send("PING\r\n"u8);
            var buffer = new byte[16];
            socket.ReceiveTimeout = 1000;
            var read = socket.Receive(buffer);
            return read >= 5 && buffer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
