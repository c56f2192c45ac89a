using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Benchmarks;

/// <summary>Set-up shared by the HPACK benchmarks: header blocks made with an encoder, and a sink that only counts fields.</summary>
internal static class HPackBlocks
{
    /// <summary>One header block of <paramref name="fields"/>, through <paramref name="encoder"/> (whose table it fills).</summary>
    public static byte[] Encode(HPackEncoder encoder, (string Name, string Value)[] fields)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach ((string name, string value) in fields)
        {
            encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Counts the fields decoded, so the work cannot be skipped and its result can be checked.</summary>
    public sealed class CountingSink : IHPackHeaderSink
    {
        public int Fields;

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Fields++;
    }
}
