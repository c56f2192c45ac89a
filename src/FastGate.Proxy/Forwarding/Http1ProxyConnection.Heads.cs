using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    /// <summary>
    /// Writes the client's response head: the upstream status over HTTP/1.1, its end-to-end
    /// headers, and framing chosen for the client (we may re-chunk, or close to delimit).
    /// </summary>
    private void WriteResponseHead(ResponseHead response, bool noBody, Http1BodyFraming framing, bool chunkToClient, bool closeClient)
    {
        if (_http2Stream && TryWriteResponseHeadToHttp2Stream(response, noBody, framing, chunkToClient))
        {
            return;
        }
        var w = new BufferWriter<PipeWriter>(_output);
        w.Write("HTTP/1.1 "u8);
        if (_exchange.ResponseStatusOverride is var status and > 0)
        {
            w.WriteDecimal(status);
            w.Write((byte)' ');
            w.Write(Http1StatusResponses.ReasonPhraseUtf8(status));
            _exchange.Status = status;
        }
        else
        {
            w.WriteDecimal(response.StatusCode);
            w.Write((byte)' ');
            w.Write(response.Reason);
        }
        w.Write("\r\n"u8);
        var customConnectionTokens = response.HasCustomConnectionTokens();
        var edits = _exchange.ResponseEdits;
        foreach (ref readonly var header in response.Headers)
        {
            if (ForwardedFields.IsHopByHop(response, header, customConnectionTokens) || (edits is not null && edits.Drops(response.Name(header))))
            {
                continue;
            }
            switch (header.Known)
            {
                // A HEAD or 304 answer keeps the Content-Length the upstream gave (the size of the
                // representation); bodies we frame ourselves get ours below.
                case KnownHeader.ContentLength when !noBody:
                    continue;
            }
            ForwardedFields.Write(ref w, response, header);
        }
        edits?.WriteFields(ref w);
        if (!noBody && framing == Http1BodyFraming.ContentLength)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(response.ContentLength);
            w.Write("\r\n"u8);
        }
        else if (chunkToClient)
        {
            w.Write("Transfer-Encoding: chunked\r\n"u8);
        }
        EndHead(ref w, closeClient);
        _exchange.BytesOut += w.Buffered;
        w.Commit();
    }

    /// <summary>
    /// Ends a head for the client with what the connection does next: Connection: close, or for
    /// an HTTP/1.0 client that keeps it, the keep-alive it must be told of.
    /// </summary>
    private void EndHead(ref BufferWriter<PipeWriter> w, bool close)
    {
        if (close)
        {
            w.Write("Connection: close\r\n"u8);
        }
        else if (_request.Version == ProtocolVersion.Http10)
        {
            w.Write("Connection: keep-alive\r\n"u8);
        }
        w.Write("\r\n"u8);
    }
}
