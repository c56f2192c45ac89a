using System.IO.Pipelines;
using FastGate.Core.Http;

namespace FastGate.Proxy.Forwarding.Http2;

// The worker hands its response head to the stream directly (Http1ProxyConnection.Http2Response.cs)
// instead of writing HTTP/1.1 text that the pump would search for and parse again: HEADERS go out
// at once, and the pump takes every byte the worker writes after it as body (or, for a response
// that ended with its HEADERS, expects none).
internal sealed partial class Http2Stream
{
    // The response ended with a HEADERS the worker handed over (END_STREAM sent): the pump only waits for the worker to let go.
    private bool _directEnded;

    /// <summary>
    /// The final head of a proxied response (worker thread, before any body byte): HEADERS now;
    /// the body that follows is <paramref name="contentLength"/> bytes (-1: chunk-framed when
    /// <paramref name="chunked"/>, else until the worker's output ends). A response without a
    /// body (<paramref name="noBody"/>, or a length of 0) ends with its HEADERS. Returns the
    /// encoded size of the head.
    /// </summary>
    public int SendProxiedHead(int status, ResponseHead head, HeaderEdits? edits, bool noBody, long contentLength, bool chunked)
    {
        var end = noBody || contentLength == 0;
        // Set before the HEADERS go: a reset meanwhile finds the pump's state already for this body.
        if (end)
        {
            _directEnded = true;
        }
        else
        {
            _bodyChunked = chunked;
            _bodyRemaining = chunked ? -1 : contentLength;
            _chunks.Reset();
            _trailers.Clear();
            _inBody = true;
        }
        return _connection.SendProxiedHead(this, status, head, edits, noBody ? Http2Connection.KeepUpstreamLength : contentLength, end);
    }

    /// <summary>A gRPC call answered by FastGate (worker thread): trailers-only HEADERS with END_STREAM.</summary>
    public int SendGrpcAnswer(int grpcStatus, ReadOnlySpan<byte> grpcMessage)
    {
        _directEnded = true;
        return _connection.SendGrpcAnswer(this, grpcStatus, grpcMessage);
    }

    /// <summary>
    /// Bytes (or the end of the worker's output) after a response that ended with its HEADERS: a
    /// response to HEAD, 204 or 304 carries none, so anything is dropped; the life ends when the
    /// worker's output does.
    /// </summary>
    private PumpStep OnBytesAfterEnd(PipeReader reader, in ReadResult result)
    {
        reader.AdvanceTo(result.Buffer.End);
        return result.IsCompleted ? PumpStep.Done : PumpStep.Read;
    }
}
