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
/// carry <c>Authorization: Bearer TOKEN</c>.
/// </summary>
public sealed class AdminConnectionHandler(Gateway gateway, Func<ReloadResult> reload) : IConnectionHandler
{
    private const int MaxHeadBytes = 16 * 1024;

    public void OnConnection(Socket socket, ConnectionListener listener) => _ = ServeAsync(socket, listener);

    private async Task ServeAsync(Socket socket, ConnectionListener listener)
    {
        var connection = SocketPipe.Create(socket);
        var head = new Http1RequestHead();
        try
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!Http1Parser.TryFindHeadEnd(buffer, MaxHeadBytes, MaxHeadBytes, out var headLength, out var error))
                {
                    if (error != Http1Error.None || result.IsCompleted)
                    {
                        return;
                    }
                    connection.Input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                head.Reset();
                head.Buffer = buffer.Slice(0, headLength).ToArray();
                head.Length = headLength;
                connection.Input.AdvanceTo(buffer.GetPosition(headLength));
                if (Http1Parser.ParseRequest(head, 100) != Http1Error.None || head.IsChunked || head.ContentLength > 0)
                {
                    await WriteAsync(connection.Output, 400, "text/plain", "bad request\n", close: true).ConfigureAwait(false);
                    return;
                }
                var (status, type, body) = Handle(head);
                await WriteAsync(connection.Output, status, type, body, close: !head.KeepAlive).ConfigureAwait(false);
                if (!head.KeepAlive)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            connection.Dispose();
            listener.OnConnectionClosed();
        }
    }

    private (int Status, string Type, string Body) Handle(Http1RequestHead head)
    {
        if (!Authorized(head))
        {
            return (401, "text/plain", "admin token required\n");
        }
        var path = Encoding.ASCII.GetString(head.Path);
        switch (path)
        {
            case "/metrics" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return (200, "text/plain; version=0.0.4; charset=utf-8", gateway.Metrics.Render(gateway.Endpoints, gateway.AccessLog));
            case "/healthz" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return gateway.Draining ? (503, "text/plain", "draining\n") : (200, "text/plain", "ok\n");
            case "/config" when head.Method is RequestMethod.Get or RequestMethod.Head:
                return (200, "application/json", RenderConfig());
            case "/reload" when head.Method == RequestMethod.Post:
                var result = reload();
                return (result.Success ? 200 : 422, "application/json", RenderReload(result));
            case "/metrics" or "/healthz" or "/config" or "/reload":
                return (405, "text/plain", "method not allowed\n");
            default:
                return (404, "text/plain", "not found\n");
        }
    }

    private bool Authorized(Http1RequestHead head)
    {
        var token = gateway.Current.Model.Admin.Token;
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
        var snapshot = gateway.Current;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("source", snapshot.Model.SourcePath);
            json.WriteNumber("generation", snapshot.Generation);
            json.WriteString("config", snapshot.Model.RedactedText);
            if (gateway.LastReload is { } last)
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

    private static async ValueTask WriteAsync(System.IO.Pipelines.PipeWriter output, int status, string type, string body, bool close)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {Http1StatusResponses.ReasonPhrase(status)}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n";
        output.Write(Encoding.ASCII.GetBytes(head));
        output.Write(bytes);
        await output.FlushAsync().ConfigureAwait(false);
    }
}
