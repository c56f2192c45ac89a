using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using FastGate.Core.Http;

namespace FastGate.Core.Http1;

/// <summary>HTTP/1.1 head parsing (RFC 9112) on bytes, strict about anything that enables request smuggling.</summary>
/// <remarks>
/// Policy choices, all made so that we never disagree with an upstream about where a message ends:
/// <list type="bullet">
/// <item>Every line ends with CRLF; a bare LF or a lone CR is rejected (RFC 9112 section 2.2 allows a recipient to
/// accept a bare LF, but a front proxy that does so can be desynchronised from a back end that does not).</item>
/// <item>Empty lines before the request line are skipped (RFC 9112 section 2.2: "SHOULD ignore at least one empty
/// line"); they count towards the head size limit and are part of <c>headLength</c>.</item>
/// <item>obs-fold is rejected (RFC 9112 section 5.2 allows rejecting it with 400).</item>
/// <item>An empty path in an absolute-form target is reported as <c>PathLength == 0</c>, which means "/"
/// (RFC 9112 section 3.2.2).</item>
/// <item>An HTTP/1.1 request must carry exactly one valid Host field, also in absolute-form
/// (RFC 9112 section 3.2: "MUST respond with 400 to any HTTP/1.1 request message that lacks a Host header field");
/// the absolute-form authority then wins over the Host value (RFC 9112 section 3.2.2).</item>
/// <item>Content-Length: repeated fields with the same value are accepted as one (RFC 9110 section 8.6); a
/// comma-separated list inside one field is rejected, since no conforming sender emits one and splitting it is a
/// known desynchronisation vector.</item>
/// <item>A field name that reads as Content-Length or Transfer-Encoding once '-' and '_' are ignored
/// ("Transfer_Encoding") is rejected as <see cref="Http1Error.InvalidHeader"/>: back ends that fold '_' to '-'
/// would frame the body differently.</item>
/// </list>
/// </remarks>
public static class Http1Parser
{
    /// <summary>The only transfer coding a request may use.</summary>
    private static ReadOnlySpan<byte> Chunked => "chunked"u8;

    /// <summary>
    /// Finds the end of a head (the first empty line) in <paramref name="buffer"/>.
    /// Returns true with <paramref name="headLength"/> (including the final CRLF) when the whole head is present;
    /// false with <see cref="Http1Error.None"/> when more bytes are needed; false with an error when the bytes
    /// seen so far can never form a valid head (a bare LF, a head over <paramref name="maxHeadBytes"/>, a first
    /// line over <paramref name="maxStartLineBytes"/>).
    /// </summary>
    /// <remarks>
    /// Scans from the start of the buffer on every call; for heads that may arrive a byte at a time, use
    /// <see cref="TryFindRequestHeadEnd"/> (requests) or the overload that takes a <see cref="Http1HeadScanState"/>. Leading empty lines are skipped (see the class
    /// remarks). A lone CR inside a line is reported by the Parse methods.
    /// </remarks>
    public static bool TryFindHeadEnd(in ReadOnlySequence<byte> buffer, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
    {
        var state = default(Http1HeadScanState);
        return TryFindHeadEnd(buffer, ref state, maxHeadBytes, maxStartLineBytes, out headLength, out error);
    }

    /// <summary>
    /// <see cref="TryFindHeadEnd(in ReadOnlySequence{byte}, int, int, out int, out Http1Error)"/> for a request
    /// head, resumable: <paramref name="state"/> carries where the last call over the same buffer stopped, so
    /// each byte is scanned once however the head is split across reads. The request line is also judged as soon
    /// as its CRLF arrives (method, target and version, as <see cref="ParseRequest"/> would), so a malformed one
    /// is rejected at once rather than after the header timeout.
    /// </summary>
    public static bool TryFindRequestHeadEnd(in ReadOnlySequence<byte> buffer, ref Http1HeadScanState state, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
    {
        bool found = TryFindHeadEnd(buffer, ref state, maxHeadBytes, maxStartLineBytes, out headLength, out error);
        if (state.StartLineDone && !state.StartLineChecked)
        {
            // Judged before any error found further on, so the answer does not depend on how the head was
            // split across reads: a client sending it a byte at a time would have hit this one first.
            state.StartLineChecked = true;
            Http1Error lineError = CheckRequestLine(buffer, state.StartLineStart, state.StartLineLength);
            if (lineError != Http1Error.None)
            {
                headLength = 0;
                error = lineError;
                return false;
            }
        }
        return found;
    }

    /// <summary>
    /// <see cref="TryFindHeadEnd(in ReadOnlySequence{byte}, int, int, out int, out Http1Error)"/>, resumable:
    /// <paramref name="state"/> carries where the last call over the same buffer stopped, so each byte is
    /// scanned once however the head is split across reads. For response heads read from an upstream.
    /// </summary>
    public static bool TryFindHeadEnd(in ReadOnlySequence<byte> buffer, ref Http1HeadScanState state, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
    {
        if (buffer.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int limit = Math.Min(span.Length, maxHeadBytes);
            if (state.Offset < limit)
            {
                if (state.Scan(span[state.Offset..limit], maxHeadBytes, maxStartLineBytes, out headLength, out error))
                {
                    return true;
                }
                if (error != Http1Error.None)
                {
                    return false;
                }
            }
            headLength = 0;
            error = state.Finish(span.Length, maxHeadBytes, maxStartLineBytes);
            return false;
        }
        return TryFindHeadEndMultiSegment(buffer, ref state, maxHeadBytes, maxStartLineBytes, out headLength, out error);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryFindHeadEndMultiSegment(in ReadOnlySequence<byte> buffer, ref Http1HeadScanState state, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
    {
        long available = buffer.Length;
        if (state.Offset < available)
        {
            foreach (ReadOnlyMemory<byte> memory in buffer.Slice(state.Offset))
            {
                ReadOnlySpan<byte> segment = memory.Span;
                int budget = maxHeadBytes - state.Offset;
                if (budget <= 0)
                {
                    break;
                }
                if (segment.Length > budget)
                {
                    segment = segment[..budget];
                }
                if (state.Scan(segment, maxHeadBytes, maxStartLineBytes, out headLength, out error))
                {
                    return true;
                }
                if (error != Http1Error.None)
                {
                    return false;
                }
            }
        }
        headLength = 0;
        error = state.Finish(available, maxHeadBytes, maxStartLineBytes);
        return false;
    }

    /// <summary>Judges a request line on its own, with the checks <see cref="ParseRequest"/> makes first.</summary>
    private static Http1Error CheckRequestLine(in ReadOnlySequence<byte> buffer, int start, int length)
    {
        ReadOnlySequence<byte> line = buffer.Slice(start, length);
        if (line.IsSingleSegment)
        {
            return CheckRequestLine(line.FirstSpan);
        }
        return CheckRequestLineMultiSegment(line);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Http1Error CheckRequestLineMultiSegment(in ReadOnlySequence<byte> line)
    {
        // The line is at most max_request_line_bytes; the pool serves it without allocating in steady state.
        byte[] copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
        line.CopyTo(copy);
        Http1Error error = CheckRequestLine(copy.AsSpan(0, (int)line.Length));
        ArrayPool<byte>.Shared.Return(copy);
        return error;
    }

    private static Http1Error CheckRequestLine(ReadOnlySpan<byte> line)
    {
        Http1Error error = SplitRequestLine(line, out int methodLength, out _, out _);
        if (error != Http1Error.None)
        {
            return error;
        }
        return MapMethod(line[..methodLength]) == RequestMethod.Connect ? Http1Error.MethodNotAllowed : Http1Error.None;
    }

    /// <summary>Parses a complete request head (as found by <see cref="TryFindHeadEnd"/>) held in <c>request.Buffer[0..request.Length]</c>.</summary>
    /// <remarks>Fills every parsed field of <paramref name="request"/> (previous values are overwritten) and returns the first error.</remarks>
    public static Http1Error ParseRequest(RequestHead request, int maxHeaders) =>
        ParseRequest(request, request.Buffer.AsSpan(0, request.Length), int.MaxValue, maxHeaders, out _);

    /// <summary>
    /// The common case in one pass: a request head that arrived whole in <paramref name="buffer"/> (its bytes
    /// from the start of the head on, with whatever follows it) is found and parsed at once, instead of scanned
    /// for its end by <see cref="TryFindRequestHeadEnd"/> and then parsed. True when the buffer begins with a
    /// complete head, within the limits, that <see cref="ParseRequest(RequestHead, int)"/> accepts: the parsed
    /// ranges of <paramref name="request"/> are offsets into <paramref name="buffer"/>, and the caller copies its
    /// first <paramref name="headLength"/> bytes to <c>request.Buffer</c>.
    /// </summary>
    /// <remarks>
    /// False for anything else (a head not yet whole, malformed, or over a limit), with <paramref name="request"/>
    /// half filled: the caller then takes the two-step path, which decides every such case and its error, so this
    /// one never has to agree with it on anything but a head both accept. Call it only while the resumable scan has
    /// not begun: a head trickling in is then tried once, not once per read.
    /// </remarks>
    public static bool TryParseRequestHead(ReadOnlySpan<byte> buffer, RequestHead request, int maxHeadBytes, int maxStartLineBytes, int maxHeaders, out int headLength)
    {
        if (buffer.Length > maxHeadBytes)
        {
            buffer = buffer[..maxHeadBytes];
        }
        return ParseRequest(request, buffer, maxStartLineBytes, maxHeaders, out headLength) == Http1Error.None;
    }

    /// <summary>
    /// Parses the request head at the start of <paramref name="buf"/>, up to the empty line that ends it;
    /// <paramref name="headLength"/> is where that line ends when the result is None.
    /// </summary>
    private static Http1Error ParseRequest(RequestHead request, ReadOnlySpan<byte> buf, int maxStartLineBytes, int maxHeaders, out int headLength)
    {
        request.ClearParsed();
        headLength = 0;

        int pos = 0;
        while (pos + 1 < buf.Length && buf[pos] == (byte)'\r' && buf[pos + 1] == (byte)'\n')
        {
            pos += 2;
        }
        int lf = buf[pos..].IndexOf((byte)'\n');
        if (lf < 0)
        {
            return Http1Error.InvalidRequestLine;
        }
        if (lf == 0 || buf[pos + lf - 1] != (byte)'\r')
        {
            return Http1Error.BareLineEnding;
        }
        if (lf - 1 > maxStartLineBytes)
        {
            return Http1Error.RequestLineTooLong;
        }
        Http1Error error = ParseRequestLine(request, buf, pos, pos + lf - 1);
        if (error != Http1Error.None)
        {
            return error;
        }
        pos += lf + 1;

        int hostCount = 0, teCount = 0;
        bool hasUpgrade = false, connectionUpgrade = false, connectionClose = false, connectionKeepAlive = false;
        while (NextHeader(request, buf, ref pos, maxHeaders, out HeaderEntry entry, out error))
        {
            ReadOnlySpan<byte> value = buf.Slice(entry.ValueStart, entry.ValueLength);
            switch (entry.Known)
            {
                case KnownHeader.Host:
                    // RFC 9112 section 3.2: several Host lines or an invalid value get 400.
                    if (++hostCount > 1 || !HttpChars.IsValidAuthority(value))
                    {
                        return Http1Error.InvalidHost;
                    }
                    if (request.AuthorityLength == 0)
                    {
                        request.HostStart = entry.ValueStart;
                        request.HostLength = entry.ValueLength;
                    }
                    break;
                case KnownHeader.ContentLength:
                    error = MergeContentLength(value, ref request.ContentLength);
                    if (error != Http1Error.None)
                    {
                        return error;
                    }
                    break;
                case KnownHeader.TransferEncoding:
                    // Only "chunked", once, is accepted in a request: any other coding cannot be framed by us
                    // (RFC 9112 section 6.1, 501 or 400) and every variant is a smuggling gadget.
                    if (++teCount > 1 || !Ascii.EqualsIgnoreCase(value, Chunked))
                    {
                        return Http1Error.InvalidTransferEncoding;
                    }
                    request.IsChunked = true;
                    break;
                case KnownHeader.Connection:
                    ScanConnection(value, ref connectionClose, ref connectionKeepAlive, ref connectionUpgrade);
                    break;
                case KnownHeader.Expect:
                    if (Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                    {
                        request.ExpectContinue = request.Version == ProtocolVersion.Http11;
                    }
                    break;
                case KnownHeader.Upgrade:
                    hasUpgrade = true;
                    break;
            }
            request.AddHeader(entry);
        }
        if (error != Http1Error.None)
        {
            return error;
        }

        if (teCount > 0 && request.Version == ProtocolVersion.Http10)
        {
            // RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
            return Http1Error.InvalidTransferEncoding;
        }
        if (teCount > 0 && request.ContentLength >= 0)
        {
            // RFC 9112 section 6.1: "MAY reject ... as a potential request smuggling attack"; we do.
            return Http1Error.ContentLengthWithTransferEncoding;
        }
        if (request.Version == ProtocolVersion.Http11 && hostCount == 0)
        {
            return Http1Error.InvalidHost;
        }

        request.KeepAlive = !connectionClose && (request.Version == ProtocolVersion.Http11 || connectionKeepAlive);
        request.IsUpgrade = connectionUpgrade && hasUpgrade;
        headLength = pos;
        return Http1Error.None;
    }

    /// <summary>Parses a complete response head held in <c>response.Buffer[0..response.Length]</c>.</summary>
    /// <remarks>
    /// Body rules of RFC 9112 section 6.3 that depend only on the head: chunked as the final coding wins over any
    /// Content-Length; another final coding means the body runs until the connection closes (IsChunked false,
    /// ContentLength -1, KeepAlive false). Rules that depend on the request (HEAD, 1xx, 204, 304, CONNECT) are the
    /// caller's.
    /// </remarks>
    public static Http1Error ParseResponse(ResponseHead response, int maxHeaders) =>
        ParseResponse(response, response.Buffer.AsSpan(0, response.Length), maxHeaders, out _);

    /// <summary>
    /// <see cref="TryParseRequestHead"/> for a response head: found and parsed in one pass when it arrived whole
    /// at the start of <paramref name="buffer"/> and <see cref="ParseResponse(ResponseHead, int)"/> accepts it;
    /// false for anything else, which the two-step path (<see cref="TryFindHeadEnd(in ReadOnlySequence{byte}, ref Http1HeadScanState, int, int, out int, out Http1Error)"/>
    /// then <see cref="ParseResponse(ResponseHead, int)"/>) decides.
    /// </summary>
    public static bool TryParseResponseHead(ReadOnlySpan<byte> buffer, ResponseHead response, int maxHeadBytes, int maxHeaders, out int headLength)
    {
        if (buffer.Length > maxHeadBytes)
        {
            buffer = buffer[..maxHeadBytes];
        }
        return ParseResponse(response, buffer, maxHeaders, out headLength) == Http1Error.None;
    }

    private static Http1Error ParseResponse(ResponseHead response, ReadOnlySpan<byte> buf, int maxHeaders, out int headLength)
    {
        response.ClearParsed();
        headLength = 0;

        int lf = buf.IndexOf((byte)'\n');
        if (lf < 0)
        {
            return Http1Error.InvalidStatusLine;
        }
        if (lf == 0 || buf[lf - 1] != (byte)'\r')
        {
            return Http1Error.BareLineEnding;
        }
        Http1Error error = ParseStatusLine(response, buf[..(lf - 1)]);
        if (error != Http1Error.None)
        {
            return error;
        }
        int pos = lf + 1;

        bool hasTe = false, lastCodingChunked = false;
        bool connectionClose = false, connectionKeepAlive = false, connectionUpgrade = false;
        while (NextHeader(response, buf, ref pos, maxHeaders, out HeaderEntry entry, out error))
        {
            ReadOnlySpan<byte> value = buf.Slice(entry.ValueStart, entry.ValueLength);
            switch (entry.Known)
            {
                case KnownHeader.ContentLength:
                    error = MergeContentLength(value, ref response.ContentLength);
                    if (error != Http1Error.None)
                    {
                        return error;
                    }
                    break;
                case KnownHeader.TransferEncoding:
                    hasTe = true;
                    lastCodingChunked = FinalCodingIsChunked(value, lastCodingChunked);
                    break;
                case KnownHeader.Connection:
                    ScanConnection(value, ref connectionClose, ref connectionKeepAlive, ref connectionUpgrade);
                    break;
            }
            response.AddHeader(entry);
        }
        if (error != Http1Error.None)
        {
            return error;
        }

        response.KeepAlive = !connectionClose && (response.Version == ProtocolVersion.Http11 || connectionKeepAlive);
        if (hasTe)
        {
            // RFC 9112 section 6.3 items 3 and 4: Transfer-Encoding overrides Content-Length.
            response.ContentLength = -1;
            response.IsChunked = lastCodingChunked;
            if (!lastCodingChunked)
            {
                response.KeepAlive = false;
            }
        }
        headLength = pos;
        return Http1Error.None;
    }

    /// <summary>request-line = method SP request-target SP HTTP-version (RFC 9112 section 3), one SP each.</summary>
    private static Http1Error ParseRequestLine(RequestHead request, ReadOnlySpan<byte> buf, int start, int end)
    {
        ReadOnlySpan<byte> line = buf[start..end];
        Http1Error error = SplitRequestLine(line, out int methodLength, out int targetLength, out request.Version);
        if (error != Http1Error.None)
        {
            return error;
        }
        ReadOnlySpan<byte> method = line[..methodLength];
        ReadOnlySpan<byte> target = line.Slice(methodLength + 1, targetLength);

        request.Method = MapMethod(method);
        request.MethodStart = start;
        request.MethodLength = methodLength;
        int targetStart = start + methodLength + 1;
        request.TargetStart = targetStart;
        request.TargetLength = targetLength;

        if (request.Method == RequestMethod.Connect)
        {
            // authority-form exists only for CONNECT, which we do not tunnel.
            return Http1Error.MethodNotAllowed;
        }

        if (target[0] == (byte)'/')
        {
            SplitPathQuery(request, target, targetStart);
            return Http1Error.None;
        }
        if (target.Length == 1 && target[0] == (byte)'*')
        {
            // asterisk-form is only for a server-wide OPTIONS (RFC 9112 section 3.2.4).
            if (request.Method != RequestMethod.Options)
            {
                return Http1Error.InvalidRequestLine;
            }
            request.PathStart = targetStart;
            request.PathLength = 1;
            return Http1Error.None;
        }

        // absolute-form (RFC 9112 section 3.2.2): only the http and https schemes.
        int schemeLength;
        if (target.Length >= 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8))
        {
            schemeLength = 7;
        }
        else if (target.Length >= 8 && Ascii.EqualsIgnoreCase(target[..8], "https://"u8))
        {
            schemeLength = 8;
        }
        else
        {
            return Http1Error.InvalidRequestLine;
        }
        ReadOnlySpan<byte> afterScheme = target[schemeLength..];
        int authorityLength = afterScheme.IndexOfAny((byte)'/', (byte)'?');
        if (authorityLength < 0)
        {
            authorityLength = afterScheme.Length;
        }
        if (!HttpChars.IsValidAuthority(afterScheme[..authorityLength]))
        {
            return Http1Error.InvalidRequestLine;
        }
        int authorityStart = targetStart + schemeLength;
        request.AuthorityStart = request.HostStart = authorityStart;
        request.AuthorityLength = request.HostLength = authorityLength;
        // An empty path is reported as PathLength 0 and means "/" (RFC 9112 section 3.2.2).
        SplitPathQuery(request, afterScheme[authorityLength..], authorityStart + authorityLength);
        return Http1Error.None;
    }

    /// <summary>The shape of a request line: a token method, one SP, a target of target bytes, one SP, a version.</summary>
    private static Http1Error SplitRequestLine(ReadOnlySpan<byte> line, out int methodLength, out int targetLength, out ProtocolVersion version)
    {
        version = ProtocolVersion.Http11;
        targetLength = 0;
        methodLength = line.IndexOfAnyExcept(HttpChars.Token);
        if (methodLength <= 0 || line[methodLength] != (byte)' ')
        {
            return Http1Error.InvalidRequestLine;
        }
        ReadOnlySpan<byte> rest = line[(methodLength + 1)..];
        targetLength = rest.IndexOfAnyExcept(HttpChars.TargetChar);
        if (targetLength <= 0 || rest[targetLength] != (byte)' ')
        {
            return Http1Error.InvalidRequestLine;
        }
        return ParseVersion(rest[(targetLength + 1)..], out version, Http1Error.InvalidRequestLine, Http1Error.UnsupportedVersion);
    }

    private static void SplitPathQuery(RequestHead request, ReadOnlySpan<byte> pathAndQuery, int offset)
    {
        int q = pathAndQuery.IndexOf((byte)'?');
        request.PathStart = offset;
        if (q < 0)
        {
            request.PathLength = pathAndQuery.Length;
            request.QueryStart = offset + pathAndQuery.Length;
            request.QueryLength = 0;
        }
        else
        {
            request.PathLength = q;
            request.QueryStart = offset + q;
            request.QueryLength = pathAndQuery.Length - q;
        }
    }

    /// <summary>HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 section 2.3); 1.0 and 1.1 served.</summary>
    private static Http1Error ParseVersion(ReadOnlySpan<byte> v, out ProtocolVersion version, Http1Error malformed, Http1Error unsupported)
    {
        version = ProtocolVersion.Http11;
        if (v.Length != 8 || !v.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)v[5]) || v[6] != (byte)'.' || !char.IsAsciiDigit((char)v[7]))
        {
            return malformed;
        }
        if (v[5] != (byte)'1' || (v[7] != (byte)'0' && v[7] != (byte)'1'))
        {
            return unsupported;
        }
        version = v[7] == (byte)'1' ? ProtocolVersion.Http11 : ProtocolVersion.Http10;
        return Http1Error.None;
    }

    /// <summary>
    /// The <see cref="RequestMethod"/> of a method token, as <see cref="ParseRequest"/> maps it: for a
    /// decoder of compressed heads (HPACK) that fills a <see cref="RequestHead"/> without parsing text.
    /// </summary>
    public static RequestMethod MethodOf(ReadOnlySpan<byte> method) => MapMethod(method);

    /// <summary>Methods are case-sensitive (RFC 9110 section 9.1), so the compare is exact.</summary>
    private static RequestMethod MapMethod(ReadOnlySpan<byte> m)
    {
        switch (m.Length)
        {
            case 3:
                if (m.SequenceEqual("GET"u8)) return RequestMethod.Get;
                if (m.SequenceEqual("PUT"u8)) return RequestMethod.Put;
                break;
            case 4:
                if (m.SequenceEqual("POST"u8)) return RequestMethod.Post;
                if (m.SequenceEqual("HEAD"u8)) return RequestMethod.Head;
                break;
            case 5:
                if (m.SequenceEqual("PATCH"u8)) return RequestMethod.Patch;
                if (m.SequenceEqual("TRACE"u8)) return RequestMethod.Trace;
                break;
            case 6:
                if (m.SequenceEqual("DELETE"u8)) return RequestMethod.Delete;
                break;
            case 7:
                if (m.SequenceEqual("OPTIONS"u8)) return RequestMethod.Options;
                if (m.SequenceEqual("CONNECT"u8)) return RequestMethod.Connect;
                break;
        }
        return RequestMethod.Custom;
    }

    /// <summary>status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4).</summary>
    private static Http1Error ParseStatusLine(ResponseHead response, ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || line[8] != (byte)' ')
        {
            return Http1Error.InvalidStatusLine;
        }
        Http1Error error = ParseVersion(line[..8], out response.Version, Http1Error.InvalidStatusLine, Http1Error.InvalidStatusLine);
        if (error != Http1Error.None)
        {
            return error;
        }
        byte d0 = line[9], d1 = line[10], d2 = line[11];
        if (d0 < (byte)'1' || d0 > (byte)'9' || !char.IsAsciiDigit((char)d1) || !char.IsAsciiDigit((char)d2))
        {
            return Http1Error.InvalidStatusLine;
        }
        response.StatusCode = (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
        response.ReasonStart = 12;
        if (line.Length == 12)
        {
            // A missing SP before an empty reason is tolerated: nothing downstream depends on it.
            return Http1Error.None;
        }
        if (line[12] != (byte)' ')
        {
            return Http1Error.InvalidStatusLine;
        }
        ReadOnlySpan<byte> reason = line[13..];
        if (reason.ContainsAny(HttpChars.InvalidFieldValue))
        {
            return Http1Error.InvalidStatusLine;
        }
        response.ReasonStart = 13;
        response.ReasonLength = reason.Length;
        return Http1Error.None;
    }

    /// <summary>
    /// Reads the next header line of a head. False at the empty line that ends the head (error
    /// None) or at a malformed line or one header too many (error set).
    /// </summary>
    private static bool NextHeader(MessageHead head, ReadOnlySpan<byte> buf, ref int pos, int maxHeaders, out HeaderEntry entry, out Http1Error error)
    {
        error = ParseHeaderLine(buf, ref pos, out entry, out var end);
        if (error != Http1Error.None || end)
        {
            return false;
        }
        if (head.HeaderCount >= maxHeaders)
        {
            error = Http1Error.TooManyHeaders;
            return false;
        }
        return true;
    }

    /// <summary>
    /// field-line = field-name ":" OWS field-value OWS, CRLF (RFC 9112 section 5). Sets <paramref name="end"/> on
    /// the empty line that ends the head.
    /// </summary>
    private static Http1Error ParseHeaderLine(ReadOnlySpan<byte> buf, ref int pos, out HeaderEntry entry, out bool end)
    {
        entry = default;
        end = false;
        if (pos >= buf.Length)
        {
            // The head must end with an empty line.
            return Http1Error.InvalidHeader;
        }
        byte first = buf[pos];
        if (first == (byte)'\r')
        {
            if (pos + 1 < buf.Length && buf[pos + 1] == (byte)'\n')
            {
                pos += 2;
                end = true;
                return Http1Error.None;
            }
            return Http1Error.BareLineEnding;
        }
        if (first == (byte)'\n')
        {
            return Http1Error.BareLineEnding;
        }
        if (first == (byte)' ' || first == (byte)'\t')
        {
            // obs-fold (RFC 9112 section 5.2), or whitespace before the first field (section 2.2): both rejected.
            return Http1Error.ObsFold;
        }
        int lf = buf[pos..].IndexOf((byte)'\n');
        if (lf < 0)
        {
            return Http1Error.InvalidHeader;
        }
        int lineEnd = pos + lf - 1;
        if (buf[lineEnd] != (byte)'\r')
        {
            return Http1Error.BareLineEnding;
        }
        ReadOnlySpan<byte> line = buf[pos..lineEnd];
        int nameLength = line.IndexOfAnyExcept(HttpChars.Token);
        if (nameLength < 0)
        {
            return Http1Error.InvalidHeader;
        }
        if (nameLength == 0 || line[nameLength] != (byte)':')
        {
            // No whitespace is allowed between the name and the colon (RFC 9112 section 5.1).
            return line[nameLength] == (byte)'\r' ? Http1Error.BareLineEnding : Http1Error.InvalidHeader;
        }
        int valueStart = nameLength + 1;
        int valueEnd = line.Length;
        while (valueStart < valueEnd && HttpChars.IsWhitespace(line[valueStart])) valueStart++;
        while (valueEnd > valueStart && HttpChars.IsWhitespace(line[valueEnd - 1])) valueEnd--;
        ReadOnlySpan<byte> value = line[valueStart..valueEnd];
        int bad = value.IndexOfAny(HttpChars.InvalidFieldValue);
        if (bad >= 0)
        {
            return value[bad] == (byte)'\r' ? Http1Error.BareLineEnding : Http1Error.InvalidHeaderValue;
        }
        entry.NameStart = pos;
        entry.NameLength = nameLength;
        entry.ValueStart = pos + valueStart;
        entry.ValueLength = valueEnd - valueStart;
        entry.Known = KnownHeaders.Lookup(line[..nameLength]);
        if (entry.Known == KnownHeader.Other && KnownHeaders.IsFramingLookAlike(line[..nameLength]))
        {
            return Http1Error.InvalidHeader;
        }
        pos = lineEnd + 2;
        return Http1Error.None;
    }

    /// <summary>Content-Length = 1*DIGIT (RFC 9110 section 8.6); a repeat must carry the same value.</summary>
    private static Http1Error MergeContentLength(ReadOnlySpan<byte> value, ref long contentLength)
    {
        if (!TryParseDecimal(value, out long length) || (contentLength >= 0 && contentLength != length))
        {
            return Http1Error.InvalidContentLength;
        }
        contentLength = length;
        return Http1Error.None;
    }

    /// <summary>1*DIGIT that fits a non-negative long; no sign, no whitespace, no list.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> value, out long result)
    {
        result = 0;
        if (value.IsEmpty)
        {
            return false;
        }
        foreach (byte b in value)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9 || result > (long.MaxValue - digit) / 10)
            {
                return false;
            }
            result = result * 10 + digit;
        }
        return true;
    }

    /// <summary>
    /// Connection = #connection-option (RFC 9110 section 7.6.1), tokens compared case-insensitively.
    /// </summary>
    private static void ScanConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive, ref bool upgrade)
    {
        while (!value.IsEmpty)
        {
            int comma = value.IndexOf((byte)',');
            ReadOnlySpan<byte> item = HttpChars.TrimOws(comma < 0 ? value : value[..comma]);
            value = comma < 0 ? default : value[(comma + 1)..];
            switch (item.Length)
            {
                case 5:
                    close |= Ascii.EqualsIgnoreCase(item, "close"u8);
                    break;
                case 7:
                    upgrade |= Ascii.EqualsIgnoreCase(item, "upgrade"u8);
                    break;
                case 10:
                    keepAlive |= Ascii.EqualsIgnoreCase(item, "keep-alive"u8);
                    break;
            }
        }
    }

    /// <summary>
    /// For a response: whether the last coding of the Transfer-Encoding list (RFC 9112 section 6.1), continued by
    /// this field line, is chunked. A field with no list element leaves <paramref name="previous"/> unchanged.
    /// </summary>
    private static bool FinalCodingIsChunked(ReadOnlySpan<byte> value, bool previous)
    {
        bool result = previous;
        while (!value.IsEmpty)
        {
            int comma = value.IndexOf((byte)',');
            ReadOnlySpan<byte> item = comma < 0 ? value : value[..comma];
            value = comma < 0 ? default : value[(comma + 1)..];
            int semicolon = item.IndexOf((byte)';');
            if (semicolon >= 0)
            {
                item = item[..semicolon];
            }
            item = HttpChars.TrimOws(item);
            if (!item.IsEmpty)
            {
                result = Ascii.EqualsIgnoreCase(item, Chunked);
            }
        }
        return result;
    }
}
