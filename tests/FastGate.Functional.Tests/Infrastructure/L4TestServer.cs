using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A loopback TCP server for the L4 tests, on raw sockets: each accepted connection runs the
/// handler, over the socket itself or, with a certificate, over a server-side SslStream (a TLS
/// upstream for passthrough). Counts what it accepted; disposing closes everything.
/// </summary>
public sealed class L4TestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Stream, Task> _handler;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;
    private int _connections;

    public L4TestServer(Func<Socket, Stream, Task> handler, X509Certificate2? certificate = null)
    {
        _handler = handler;
        _certificate = certificate;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public int Connections => Volatile.Read(ref _connections);
    /// <summary>The certificate a TLS server shows; null for a plain one.</summary>
    public X509Certificate2? Certificate => _certificate;

    /// <summary>Echoes every byte until the client's FIN, then shuts its own sending side.</summary>
    public static L4TestServer Echo(string? greeting = null) => new(async (socket, stream) =>
    {
        if (greeting is not null)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(greeting));
        }
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read));
        }
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>A TLS server whose certificate names <paramref name="name"/>: it says its name, then echoes.</summary>
    public static L4TestServer Tls(string name, X509Certificate2 certificate) => new(async (_, stream) =>
    {
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(name + "\n"));
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read));
        }
    }, certificate);

    /// <summary>A self-signed certificate for <paramref name="name"/> with its key, usable by SslStream on Linux.</summary>
    public static X509Certificate2 CreateCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            lock (_accepted)
            {
                _accepted.Add(socket);
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(_certificate).WaitAsync(TimeSpan.FromSeconds(30), _stop.Token);
                stream = ssl;
            }
            await _handler(socket, stream).WaitAsync(_stop.Token);
        }
        catch (Exception)
        {
            // A client that went away, or the server stopping: that connection ends.
        }
        finally
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
        _certificate?.Dispose();
    }
}
