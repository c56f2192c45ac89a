using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

/// <summary>Reads the corpus case files and runs inputs through the parser the way the proxy does.</summary>
internal static class Http1Corpus
{
    /// <summary>
    /// The case files, copied next to the test assembly from tests/FastGate.Core.Tests/TestData (see the README there
    /// for their sources and licences; tools/CorpusImport regenerates them).
    /// </summary>
    public static string DataDir { get; } = Path.Combine(AppContext.BaseDirectory, "TestData");

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Where a case comes from: upstream project, file and case name.</summary>
    public sealed record CaseSource(string Project, string File, string Case);

    /// <summary>Reads a JSON-lines case file of <see cref="DataDir"/>: one case per line.</summary>
    public static List<T> ReadCases<T>(string fileName)
    {
        var cases = new List<T>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(Path.Combine(DataDir, fileName)))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            cases.Add(JsonSerializer.Deserialize<T>(line, JsonOptions) ?? throw new InvalidDataException($"{fileName}:{lineNumber}: null case"));
        }
        return cases;
    }

    public const string InjectedHost = "corpus.test";

    /// <summary>One message as we parsed it.</summary>
    public sealed record Message(string Method, string Target, List<(string Name, string Value)> Headers, long ContentLength, bool IsChunked, bool HostInjected);

    /// <summary>Outcome of running a whole input (possibly several pipelined requests).</summary>
    public sealed record Outcome(List<Message> Messages, Http1Error Error, bool Incomplete)
    {
        public bool Rejected => Error != Http1Error.None;
        /// <summary>Bytes followed a message after which the connection closes (Connection: close, HTTP/1.0).</summary>
        public bool DataAfterClose { get; init; }
        /// <summary>Parsing stopped at a request that upgrades the connection.</summary>
        public bool Upgraded { get; init; }
    }

    /// <summary>
    /// Parses request after request: find the head, parse it, skip its body (Content-Length or chunked).
    /// A Host-less HTTP/1.1 head is retried once with a Host line added after the request line, so that inputs
    /// from parsers that do not enforce RFC 9112 section 3.2 still test everything else; a head that fails
    /// for another reason keeps its error.
    /// </summary>
    public static Outcome Run(byte[] input, bool injectHost = true)
    {
        var messages = new List<Message>();
        int pos = 0;
        var head = new RequestHead();
        while (pos < input.Length)
        {
            var rest = new ReadOnlySequence<byte>(input, pos, input.Length - pos);
            if (!FindRequestHead(rest, out int headLength, out Http1Error error))
            {
                if (error != Http1Error.None)
                {
                    return new Outcome(messages, error, false);
                }
                // The input ends inside a head. A parser that checks line by line (llhttp) has already judged the
                // lines it saw; to judge them too, end the head here and parse it. A head that is fine so far
                // stays "incomplete".
                byte[] partial = input[pos..];
                bool onlyEmptyLines = partial.AsSpan().IndexOfAnyExcept((byte)'\r', (byte)'\n') < 0;
                byte[] completed = [.. partial, .. (partial.AsSpan().EndsWith("\r\n"u8) ? "\r\n"u8 : "\r\n\r\n"u8)];
                if (!onlyEmptyLines && FindRequestHead(new ReadOnlySequence<byte>(completed), out int completedLength, out error))
                {
                    error = ParseOne(head, completed[..completedLength], injectHost, out _);
                }
                return new Outcome(messages, error, error == Http1Error.None);
            }
            error = ParseOne(head, input.AsSpan(pos, headLength).ToArray(), injectHost, out bool injected);
            if (error != Http1Error.None)
            {
                return new Outcome(messages, error, false);
            }
            var headers = new List<(string, string)>();
            foreach (ref readonly HeaderEntry h in head.Headers)
            {
                if (injected && h.Known == KnownHeader.Host && Text(head.Value(h)) == InjectedHost)
                {
                    continue;
                }
                headers.Add((Text(head.Name(h)), Text(head.Value(h))));
            }
            messages.Add(new Message(Text(head.MethodBytes), Text(head.Target), headers, head.ContentLength, head.IsChunked, injected));
            pos += headLength;

            if (head.IsChunked)
            {
                var decoder = new Http1ChunkedDecoder();
                while (true)
                {
                    Http1ChunkStatus status = decoder.Read(input.AsSpan(pos), out int consumed, out _, out _);
                    pos += consumed;
                    if (status == Http1ChunkStatus.Complete)
                    {
                        break;
                    }
                    if (status == Http1ChunkStatus.Error)
                    {
                        return new Outcome(messages, decoder.Error, false);
                    }
                    if (status == Http1ChunkStatus.NeedMoreData)
                    {
                        return new Outcome(messages, Http1Error.None, true);
                    }
                }
            }
            else if (head.ContentLength > 0)
            {
                if (input.Length - pos < head.ContentLength)
                {
                    return new Outcome(messages, Http1Error.None, true);
                }
                pos += (int)head.ContentLength;
            }
            if (head.IsUpgrade)
            {
                // After an upgrade the bytes belong to the new protocol: the proxy tunnels them.
                return new Outcome(messages, Http1Error.None, false) { Upgraded = true };
            }
            if (!head.KeepAlive && pos < input.Length)
            {
                // The proxy closes after a non-persistent exchange and never reads these bytes as a request.
                return new Outcome(messages, Http1Error.None, false) { DataAfterClose = true };
            }
        }
        return new Outcome(messages, Http1Error.None, false);
    }

    /// <summary>
    /// Finds a request head the way the proxy does over a client that sends one byte per read: the buffer grows
    /// by a byte and the scan resumes where it stopped. Every corpus input is thus also a split-at-every-byte test
    /// of the resumable scan; the result must be what one search over the whole buffer gives.
    /// </summary>
    private static bool FindRequestHead(ReadOnlySequence<byte> buffer, out int headLength, out Http1Error error)
    {
        var whole = default(Http1HeadScanState);
        bool foundWhole = Http1Parser.TryFindRequestHeadEnd(buffer, ref whole, MaxHead, MaxStartLine, out int wholeLength, out Http1Error wholeError);
        var state = default(Http1HeadScanState);
        bool found = false;
        headLength = 0;
        error = Http1Error.None;
        for (long end = 1; end <= buffer.Length; end++)
        {
            found = Http1Parser.TryFindRequestHeadEnd(buffer.Slice(0, end), ref state, MaxHead, MaxStartLine, out headLength, out error);
            if (found || error != Http1Error.None)
            {
                break;
            }
        }
        if (found != foundWhole || headLength != wholeLength || error != wholeError)
        {
            throw new InvalidOperationException($"byte-at-a-time scan gave ({found}, {headLength}, {error}), one scan ({foundWhole}, {wholeLength}, {wholeError})");
        }
        return found;
    }

    /// <summary>ParseRequest, retried with an added Host line when an HTTP/1.1 head has none.</summary>
    private static Http1Error ParseOne(RequestHead head, byte[] headBytes, bool injectHost, out bool injected)
    {
        injected = false;
        head.Buffer = headBytes;
        head.Length = headBytes.Length;
        Http1Error error = Http1Parser.ParseRequest(head, MaxHeaders);
        if (error == Http1Error.InvalidHost && injectHost && head.Version == ProtocolVersion.Http11 && !HasHostLine(headBytes))
        {
            headBytes = AddHost(headBytes);
            head.Buffer = headBytes;
            head.Length = headBytes.Length;
            error = Http1Parser.ParseRequest(head, MaxHeaders);
            injected = true;
        }
        return error;
    }

    private static bool HasHostLine(byte[] head)
    {
        string text = Text(head);
        return text.Contains("\nhost:", StringComparison.OrdinalIgnoreCase) || text.Contains("\nhost ", StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] AddHost(byte[] head)
    {
        int start = 0;
        while (start + 1 < head.Length && head[start] == '\r' && head[start + 1] == '\n') start += 2;
        int lineEnd = head.AsSpan(start).IndexOf("\r\n"u8) + start + 2;
        return [.. head.AsSpan(0, lineEnd), .. Encoding.ASCII.GetBytes("Host: " + InjectedHost + "\r\n"), .. head.AsSpan(lineEnd)];
    }

    public static string Describe(Outcome o) =>
        o.Rejected ? $"rejected {o.Error} after {o.Messages.Count} message(s)"
        : o.DataAfterClose ? $"closed after {o.Messages.Count} message(s), extra bytes not read"
        : o.Upgraded ? $"upgraded after {o.Messages.Count} message(s)"
        : o.Incomplete ? $"incomplete after {o.Messages.Count} message(s)"
        : $"accepted {o.Messages.Count} message(s)";
}
