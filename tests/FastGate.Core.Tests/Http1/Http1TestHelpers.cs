using System.Buffers;
using System.Text;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Core.Tests.Http1;

/// <summary>Builds inputs for the HTTP/1 parser tests.</summary>
internal static class Http1TestHelpers
{
    public const int MaxHead = 32 * 1024;
    public const int MaxStartLine = 8 * 1024;
    public const int MaxHeaders = 100;

    /// <summary>One byte per char (latin-1), so "\xff" in a test is the byte 0xFF.</summary>
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    public static string Text(ReadOnlySpan<byte> s) => Encoding.Latin1.GetString(s);

    /// <summary>A sequence made of the given pieces, one segment each.</summary>
    public static ReadOnlySequence<byte> Sequence(params byte[][] pieces)
    {
        if (pieces.Length == 1)
        {
            return new ReadOnlySequence<byte>(pieces[0]);
        }
        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Length; i++)
        {
            last = last.Append(pieces[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The input split into segments at the given offsets.</summary>
    public static ReadOnlySequence<byte> Split(byte[] input, params int[] cuts)
    {
        var pieces = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts)
        {
            pieces.Add(input[start..cut]);
            start = cut;
        }
        pieces.Add(input[start..]);
        return Sequence([.. pieces]);
    }

    /// <summary>Finds the head and parses it; returns the error of whichever step failed.</summary>
    public static Http1Error ParseRequest(byte[] input, out RequestHead head, out int headLength, int maxHeaders = MaxHeaders)
    {
        head = new RequestHead();
        if (!Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input), MaxHead, MaxStartLine, out headLength, out Http1Error error))
        {
            return error == Http1Error.None ? Incomplete : error;
        }
        head.Buffer = input[..headLength];
        head.Length = headLength;
        return Http1Parser.ParseRequest(head, maxHeaders);
    }

    public static Http1Error ParseRequest(string input, out RequestHead head) => ParseRequest(Bytes(input), out head, out _);

    public static Http1Error ParseRequest(string input) => ParseRequest(Bytes(input), out _, out _);

    public static Http1Error ParseResponse(string input, out ResponseHead head)
    {
        byte[] bytes = Bytes(input);
        head = new ResponseHead();
        if (!Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(bytes), MaxHead, MaxStartLine, out int headLength, out Http1Error error))
        {
            return error == Http1Error.None ? Incomplete : error;
        }
        head.Buffer = bytes[..headLength];
        head.Length = headLength;
        return Http1Parser.ParseResponse(head, MaxHeaders);
    }

    /// <summary>Marker for "TryFindHeadEnd wants more bytes" (not a parser value: the enum's last value + 1).</summary>
    public const Http1Error Incomplete = (Http1Error)250;

    /// <summary>Decodes a whole chunked body fed in the given pieces; returns the data, the status and bytes consumed.</summary>
    public static (byte[] Data, Http1ChunkStatus Status, Http1Error Error, int Consumed) DecodeChunked(byte[] body, IEnumerable<int> pieceLengths)
    {
        var decoder = new Http1ChunkedDecoder();
        var data = new List<byte>();
        int offset = 0;
        using var lengths = pieceLengths.GetEnumerator();
        while (offset < body.Length)
        {
            int length = lengths.MoveNext() ? Math.Min(lengths.Current, body.Length - offset) : body.Length - offset;
            ReadOnlySpan<byte> piece = body.AsSpan(offset, length);
            while (true)
            {
                Http1ChunkStatus status = decoder.Read(piece, out int consumed, out int dataOffset, out int dataLength);
                offset += consumed;
                switch (status)
                {
                    case Http1ChunkStatus.Data:
                        data.AddRange(piece.Slice(dataOffset, dataLength).ToArray());
                        piece = piece[consumed..];
                        continue;
                    case Http1ChunkStatus.NeedMoreData:
                        Assert.Equal(piece.Length, consumed);
                        break;
                    case Http1ChunkStatus.Complete:
                        return ([.. data], status, Http1Error.None, offset);
                    default:
                        return ([.. data], status, decoder.Error, offset);
                }
                break;
            }
        }
        return ([.. data], Http1ChunkStatus.NeedMoreData, Http1Error.None, offset);
    }

    public static IEnumerable<int> Repeat(int n)
    {
        while (true) yield return n;
    }

    public static IEnumerable<int> RandomPieces(int seed)
    {
        var random = new Random(seed);
        while (true) yield return random.Next(1, 12);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
