using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Admin;

/// <summary>
/// The admin listener: /metrics (Prometheus text), /healthz, /config (the live config,
/// secrets redacted, and the last reload's outcome) and POST /reload. Off the hot path, so it
/// favours plain code over allocation-free code. When a token is configured every request must
/// carry <c>Authorization: Bearer TOKEN</c>. Every wait has a deadline (a head within
/// <c>headerTimeout</c>, the next request within <c>idleTimeout</c>, a response written within
/// <see cref="WriteTimeout"/>), so idle or stalled clients cannot hold the admin API's few slots.
/// </summary>
public sealed class AdminConnectionHandler : IConnectionHandler
{
    private const int MaxHeadBytes = 16 * 1024;
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    private readonly Gateway _gateway;
    private readonly Func<Task<ReloadResult>> _reload;
    private readonly TimeSpan _headerTimeout;
    private readonly TimeSpan _idleTimeout;
    private IAdminEndpoint[] _endpoints = [];

    public AdminConnectionHandler(Gateway gateway, Func<Task<ReloadResult>> reload)
        : this(gateway, reload, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60))
    {
    }

    public AdminConnectionHandler(Gateway gateway, Func<Task<ReloadResult>> reload, TimeSpan headerTimeout, TimeSpan idleTimeout)
    {
        _gateway = gateway;
        _reload = reload;
        _headerTimeout = headerTimeout;
        _idleTimeout = idleTimeout;
    }

    /// <summary>Serves <paramref name="endpoint"/>'s path too (e.g. <c>/usage</c>); a built-in path cannot be taken over.</summary>
    public void Add(IAdminEndpoint endpoint)
    {
        IAdminEndpoint[] current;
        do
        {
            current = Volatile.Read(ref _endpoints);
        }
        while (Interlocked.CompareExchange(ref _endpoints, [.. current, endpoint], current) != current);
    }

    public void OnConnection(Socket socket, ConnectionListener listener) => _ = ServeAsync(socket, listener);

    private async Task ServeAsync(Socket socket, ConnectionListener listener)
    {
        var connection = SocketPipe.Create(socket);
        var head = new RequestHead();
        using var deadline = new CancellationTokenSource();
        try
        {
            // The first head is due within the header timeout of the connect; later ones within the
            // idle timeout of the last response, then the header timeout of their first byte.
            deadline.CancelAfter(_headerTimeout);
            var idle = false;
            while (true)
            {
                var result = await connection.Input.ReadAsync(deadline.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!Http1Parser.TryFindHeadEnd(buffer, MaxHeadBytes, MaxHeadBytes, out var headLength, out var error))
                {
                    if (error != Http1Error.None || result.IsCompleted)
                    {
                        return;
                    }
                    if (idle && !buffer.IsEmpty)
                    {
                        idle = false;
                        deadline.CancelAfter(_headerTimeout);
                    }
                    connection.Input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                head.Reset();
                head.Buffer = buffer.Slice(0, headLength).ToArray();
                head.Length = headLength;
                connection.Input.AdvanceTo(buffer.GetPosition(headLength));

                // A connection accepted by an admin address the config has since left is not served:
                // the token it would be checked against is no longer the one for where it arrived.
                if (_gateway.Admin is not { } binding || !ReferenceEquals(binding.Listener, listener))
                {
                    return;
                }
                deadline.CancelAfter(WriteTimeout);
                if (Http1Parser.ParseRequest(head, 100) != Http1Error.None || head.IsChunked || head.ContentLength > 0)
                {
                    await WriteAsync(connection.Output, 400, "text/plain", "bad request\n", close: true, headOnly: false, deadline.Token).ConfigureAwait(false);
                    return;
                }
                var (status, type, body) = await HandleAsync(head, binding.Token).ConfigureAwait(false);
                // HEAD gets the head only: a body would be read as the start of the next response.
                await WriteAsync(connection.Output, status, type, body, close: !head.KeepAlive, headOnly: head.Method == RequestMethod.Head, deadline.Token).ConfigureAwait(false);
                if (!head.KeepAlive)
                {
                    return;
                }
                idle = true;
                deadline.CancelAfter(_idleTimeout);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
        }
        finally
        {
            connection.Dispose();
            listener.OnConnectionClosed();
        }
    }

    private async Task<(int Status, string Type, string Body)> HandleAsync(RequestHead head, string? token)
    {
        if (!Authorized(head, token))
        {
            return (401, "text/plain", "admin token required\n");
        }
        var path = Encoding.ASCII.GetString(head.Path);
        switch (path)
        {
            case "/metrics" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return (200, "text/plain; version=0.0.4; charset=utf-8", _gateway.Metrics.Render(_gateway.Endpoints, _gateway.Clusters, _gateway.AccessLog));
            case "/healthz" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return _gateway.Draining ? (503, "text/plain", "draining\n") : (200, "text/plain", "ok\n");
            case "/config" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return (200, "application/json", RenderConfig());
            case "/reload" when head.Method == RequestMethod.Post:
                var result = await _reload().ConfigureAwait(false);
                return (result.Success ? 200 : 422, "application/json", RenderReload(result));
            case "/metrics" or "/healthz" or "/config" or "/reload":
                return (405, "text/plain", "method not allowed\n");
            default:
                foreach (var endpoint in Volatile.Read(ref _endpoints))
                {
                    if (endpoint.Path == path)
                    {
                        return head.Method is RequestMethod.Get or RequestMethod.Head
                            ? await endpoint.GetAsync(head.Query.Length > 1 ? Encoding.UTF8.GetString(head.Query[1..]) : "").ConfigureAwait(false)
                            : (405, "text/plain", "method not allowed\n");
                    }
                }
                return (404, "text/plain", "not found\n");
        }
    }

    private static bool Authorized(RequestHead head, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return true;
        }
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        foreach (ref readonly var header in head.Headers)
        {
            if (Ascii.EqualsIgnoreCase(head.Name(header), "authorization"u8))
            {
                return CryptographicOperations.FixedTimeEquals(head.Value(header), expected);
            }
        }
        return false;
    }

    private string RenderConfig()
    {
        var snapshot = _gateway.Current;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("source", snapshot.Model.SourcePath);
            json.WriteNumber("generation", snapshot.Generation);
            json.WriteString("config", snapshot.Model.RedactedText);
            if (_gateway.LastReload is { } last)
            {
                json.WritePropertyName("last_reload");
                WriteReload(json, last);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static string RenderReload(ReloadResult result)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            WriteReload(json, result);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteReload(Utf8JsonWriter json, ReloadResult result)
    {
        json.WriteStartObject();
        json.WriteString("result", result.Success ? "success" : "failure");
        json.WriteString("time", result.Time.ToString("O"));
        json.WriteNumber("generation", result.Generation);
        json.WriteStartArray("errors");
        foreach (var error in result.Errors)
        {
            json.WriteStringValue(error.ToString());
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static async ValueTask WriteAsync(System.IO.Pipelines.PipeWriter output, int status, string type, string body, bool close, bool headOnly, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {Http1StatusResponses.ReasonPhrase(status)}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n";
        output.Write(Encoding.ASCII.GetBytes(head));
        if (!headOnly)
        {
            output.Write(bytes);
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
