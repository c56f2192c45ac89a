using System.Buffers;

namespace FastGate.Core.Http1;

/// <summary>HTTP/1.1 head parsing (RFC 9112) on bytes, strict about anything that enables request smuggling.</summary>
public static class Http1Parser
{
    /// <summary>
    /// Finds the end of a head (the first empty line) in <paramref name="buffer"/>.
    /// Returns true with <paramref name="headLength"/> (including the final CRLF) when the whole head is present;
    /// false with <see cref="Http1Error.None"/> when more bytes are needed; false with an error when the bytes
    /// seen so far can never form a valid head (a bare LF, a head over <paramref name="maxHeadBytes"/>, a first
    /// line over <paramref name="maxStartLineBytes"/>).
    /// </summary>
    public static bool TryFindHeadEnd(in ReadOnlySequence<byte> buffer, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
        => throw new NotImplementedException();

    /// <summary>Parses a complete request head (as found by <see cref="TryFindHeadEnd"/>) held in <c>request.Buffer[0..request.Length]</c>.</summary>
    public static Http1Error ParseRequest(Http1RequestHead request, int maxHeaders)
        => throw new NotImplementedException();

    /// <summary>Parses a complete response head held in <c>response.Buffer[0..response.Length]</c>.</summary>
    public static Http1Error ParseResponse(Http1ResponseHead response, int maxHeaders)
        => throw new NotImplementedException();
}
