using System.Net;
using System.Text;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>Exchanges over a parsed request head, as a front hands them to stages.</summary>
internal static class TestExchange
{
    public static Exchange Create(string head, string clientIp = "127.0.0.1") => Exchange.ForRequest(head, IPAddress.Parse(clientIp));

    public static Exchange Get(string target, string extraHeaders = "", string clientIp = "127.0.0.1") =>
        Create($"GET {target} HTTP/1.1\r\nHost: app.example\r\n{extraHeaders}\r\n", clientIp);

    public static StageServices Services(StringWriter? log = null) => new(new GatewayLog(log ?? new StringWriter()), new GatewayMetrics());

    public static StageOutcome RunRequestHead(Stage stage, Exchange exchange)
    {
        var task = stage.OnRequestHeadAsync(exchange);
        Assert.True(task.IsCompleted);
        return task.Result;
    }

    /// <summary>What the edits leave for <paramref name="name"/>, or null.</summary>
    public static string? Value(HeaderEdits edits, string name) =>
        edits.TryGetValue(Encoding.ASCII.GetBytes(name), out var value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>The fields the edits write, as "name: value" lines.</summary>
    public static string[] Fields(HeaderEdits edits) => FieldsText(edits).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The fields the edits write, exactly as a head would carry them.</summary>
    public static string FieldsText(HeaderEdits edits)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new Core.Buffers.BufferWriter<System.Buffers.ArrayBufferWriter<byte>>(buffer);
        edits.WriteFields(ref writer);
        writer.Commit();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
