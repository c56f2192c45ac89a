using System.Buffers.Binary;
using FastGate.Core.WebSockets;

namespace FastGate.Core.Tests.WebSockets;

public class WebSocketMaskTests
{
    [Fact]
    public void Apply_EveryLengthAndOffset_MatchesTheRfcDefinition()
    {
        // RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4).
        var random = new Random(53);
        byte[] source = new byte[200];
        random.NextBytes(source);
        byte[] key = new byte[4];
        for (int round = 0; round < 20; round++)
        {
            random.NextBytes(key);
            uint maskKey = BinaryPrimitives.ReadUInt32BigEndian(key);
            for (int offset = 0; offset < 8; offset++)
            {
                for (int length = 0; length <= source.Length - offset; length += length < 70 ? 1 : 13)
                {
                    byte[] destination = new byte[length];
                    WebSocketMask.Apply(source.AsSpan(offset, length), destination, maskKey, offset + (4L << 40));
                    for (int i = 0; i < length; i++)
                    {
                        Assert.Equal((byte)(source[offset + i] ^ key[(offset + i) & 3]), destination[i]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Apply_InPlace_TwiceGivesTheOriginal()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        byte[] original = data.ToArray();

        WebSocketMask.Apply(data, data, 0xDEADBEEF, 3);
        Assert.NotEqual(original, data);
        WebSocketMask.Apply(data, data, 0xDEADBEEF, 3);
        Assert.Equal(original, data);
    }
}
