namespace FastGate.Core.Sse;

/// <summary>
/// One block of a <c>text/event-stream</c> body, as read by <see cref="SseEventReader"/>: the bytes as received and
/// the fields the WHATWG HTML "Server-sent events" section (9.2.6, interpreting an event stream) gives them.
/// A view over the reader's buffers: valid until the reader's next Append, TryRead or Reset, and a
/// <c>ref struct</c> so that nobody keeps it longer.
/// </summary>
public readonly ref struct SseEvent
{
    internal SseEvent(
        ReadOnlySpan<byte> raw,
        ReadOnlySpan<byte> eventType,
        ReadOnlySpan<byte> id,
        bool hasId,
        ReadOnlySpan<byte> data,
        bool hasData,
        long retry,
        bool isCommentOnly)
    {
        Raw = raw;
        EventType = eventType;
        Id = id;
        HasId = hasId;
        Data = data;
        HasData = hasData;
        Retry = retry;
        IsCommentOnly = isCommentOnly;
    }

    /// <summary>
    /// The exact bytes of the block, terminating blank line included, to forward unchanged. Concatenating every
    /// Raw and the final <see cref="SseEventReader.Pending"/> gives back the body byte for byte. When a block
    /// ended with a CR that was the last byte appended, the LF that may follow arrives at the start of the next
    /// block's Raw (and is not read as a line there).
    /// </summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The value of the last <c>event</c> field; empty when there was none (the client then says "message").</summary>
    public ReadOnlySpan<byte> EventType { get; }

    /// <summary>The value of the last <c>id</c> field that had no NUL; empty when <see cref="HasId"/> is false.</summary>
    public ReadOnlySpan<byte> Id { get; }

    /// <summary>An <c>id</c> field without NUL was present (an empty one resets the client's last event ID).</summary>
    public bool HasId { get; }

    /// <summary>Every <c>data</c> value joined with LF, with no trailing LF.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>At least one <c>data</c> field was present, so a client dispatches this block as an event.</summary>
    public bool HasData { get; }

    /// <summary>The last <c>retry</c> value made only of ASCII digits (fitting a long); -1 when there was none.</summary>
    public long Retry { get; }

    /// <summary>
    /// No <c>data</c>, <c>event</c>, <c>id</c> or <c>retry</c> line: only comments (lines starting with ':'),
    /// unknown fields, or nothing at all (a lone blank line). Such a block changes nothing on the client.
    /// </summary>
    public bool IsCommentOnly { get; }
}
