using System.Buffers;

namespace FastGate.Ai.Json;

/// <summary>Writes whole Server-Sent Events: an optional <c>event:</c> line, one <c>data:</c> line, a blank line.</summary>
public static class SseWriter
{
    /// <summary><paramref name="data"/> must hold no line break (compact JSON never does).</summary>
    public static void Event(IBufferWriter<byte> output, ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data)
    {
        var length = (eventType.IsEmpty ? 0 : eventType.Length + 8) + data.Length + 8;
        var span = output.GetSpan(length);
        var at = 0;
        if (!eventType.IsEmpty)
        {
            "event: "u8.CopyTo(span);
            at = 7;
            eventType.CopyTo(span[at..]);
            at += eventType.Length;
            span[at++] = (byte)'\n';
        }
        "data: "u8.CopyTo(span[at..]);
        at += 6;
        data.CopyTo(span[at..]);
        at += data.Length;
        span[at++] = (byte)'\n';
        span[at++] = (byte)'\n';
        output.Advance(at);
    }
}
