using System.Buffers;
using System.Net;
using System.Text;
using FastGate.Core.ProxyProtocol;

namespace FastGate.Core.Tests.ProxyProtocol;

internal static class ProxyProtocolTestHelpers
{
    public static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>A v2 header: signature, then the version/command, family and length bytes, then the block.</summary>
    public static byte[] V2(byte versionCommand, byte family, byte[] block, int? declaredLength = null)
    {
        var length = declaredLength ?? block.Length;
        return [.. ProxyProtocolReader.V2Signature, versionCommand, family, (byte)(length >> 8), (byte)length, .. block];
    }

    public static byte[] Block(string source, string destination, ushort sourcePort, ushort destinationPort, params byte[] tlvs) =>
        [.. IPAddress.Parse(source).GetAddressBytes(), .. IPAddress.Parse(destination).GetAddressBytes(),
         (byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort, .. tlvs];

    public static byte[] Tlv(byte type, int length) => [type, (byte)(length >> 8), (byte)length, .. new byte[length]];

    /// <summary>The bytes as a sequence of one segment per piece, so a header can be split anywhere.</summary>
    public static ReadOnlySequence<byte> Sequence(byte[] bytes, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().Append(bytes.Length).ToArray();
        if (bounds.Length == 1)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        Segment? first = null, last = null;
        var start = 0;
        foreach (var end in bounds)
        {
            var memory = bytes.AsMemory(start, end - start);
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
            start = end;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    public static string Describe(ProxyReadStatus status, in ProxyHeader header, ProxyHeaderError error) => status switch
    {
        ProxyReadStatus.Done => $"{header.Version} {header.Command} {header.Family} {Address(header.Source)} {Address(header.Destination)} len={header.Length}",
        ProxyReadStatus.Invalid => $"invalid {error}",
        _ => "need-more",
    };

    private static string Address(in ProxyAddress address) =>
        address.Length == 0 ? "-" : $"{new IPEndPoint(new IPAddress(address.Bytes), address.Port)}";

    public static string Read(ReadOnlySequence<byte> input)
    {
        var status = ProxyProtocolReader.TryRead(input, out var header, out var error);
        return Describe(status, header, error);
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
