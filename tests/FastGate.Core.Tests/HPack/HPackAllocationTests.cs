using System.Buffers;
using System.Buffers.Text;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// Steady state allocates nothing: once the decoder's and encoder's arrays have grown, decoding request
/// blocks (Huffman strings, dynamic table hits and additions, evictions) and encoding response heads
/// allocate no bytes on the calling thread. Counts bytes, not time.
/// </summary>
public sealed class HPackAllocationTests
{
    [Fact]
    public void EncodeAndDecode_AfterWarmUp_AllocateNothing()
    {
        var requestEncoder = new HPackEncoder();
        var requestDecoder = new HPackDecoder();
        var responseEncoder = new HPackEncoder();
        var responseDecoder = new HPackDecoder();
        var output = new ArrayBufferWriter<byte>(8192);
        var sink = new HPackCountingSink();
        byte[][] names = [.. Request.Select(f => Encoding.ASCII.GetBytes(f.Name))];
        byte[][] values = [.. Request.Select(f => Encoding.ASCII.GetBytes(f.Value))];

        long Run(int iterations)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Span<byte> number = stackalloc byte[20];
            for (long i = 0; i < iterations; i++)
            {
                // A request head: mostly table hits, a path that changes (a new entry, evictions over time).
                output.ResetWrittenCount();
                requestEncoder.BeginBlock(output);
                for (int f = 0; f < names.Length; f++)
                {
                    requestEncoder.Encode(output, names[f], values[f]);
                }

                Utf8Formatter.TryFormat(i, number, out int written);
                requestEncoder.Encode(output, ":path"u8, number[..written]);
                Check(requestDecoder.Decode(output.WrittenSpan, sink));

                // A response head with a status outside the static table and a request id that changes.
                output.ResetWrittenCount();
                responseEncoder.BeginBlock(output);
                responseEncoder.EncodeStatus(output, i % 2 == 0 ? 200 : 302);
                responseEncoder.Encode(output, "Content-Type"u8, "application/json; charset=utf-8"u8);
                responseEncoder.Encode(output, "set-cookie"u8, "session=8f14e45fceea167a5a36dedd4bea2543; Path=/; Secure"u8);
                Utf8Formatter.TryFormat(i * 7919, number, out written, new StandardFormat('X', 16));
                responseEncoder.Encode(output, "x-request-id"u8, number[..written]);
                Check(responseDecoder.Decode(output.WrittenSpan, sink));
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run(2000);
        long allocated = Run(2000);

        Assert.Equal(0, allocated);
        Assert.Equal(2 * 2000 * (Request.Length + 1 + 4), sink.Fields);
    }

    private static void Check(HPackError error)
    {
        if (error != HPackError.None)
        {
            throw new InvalidOperationException(error.ToString());
        }
    }

    private static readonly (string Name, string Value)[] Request =
    [
        (":method", "GET"), (":authority", "www.example.com"), (":scheme", "https"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("accept-encoding", "gzip, deflate, br, zstd"), ("accept-language", "en-US,en;q=0.9"),
        ("cookie", "session=8f14e45fceea167a5a36dedd4bea2543; _ga=GA1.2.1098765432.1700000000"),
        ("Sec-Fetch-Mode", "navigate"),
    ];
}
