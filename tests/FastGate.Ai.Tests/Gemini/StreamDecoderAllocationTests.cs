using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Gemini;
using FastGate.Ai.Providers.Ollama;
using System.Buffers;
using FastGate.Core.Sse;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>The hot path: once warm, decoding a stream event by event allocates nothing (chunks and usage included).</summary>
public class StreamDecoderAllocationTests
{
    [Theory]
    [InlineData("gemini/text-stream.sse")]
    [InlineData("gemini/function-call-stream.sse")]
    [InlineData("gemini/thoughts-stream.sse")]
    public void GeminiDecoder_Warm_AllocatesNothingPerEvent(string recording)
    {
        var events = new List<byte[]>();
        var reader = new SseEventReader();
        reader.Append(ProviderTestData.Read(recording));
        while (reader.TryRead(out var sseEvent))
        {
            events.Add(sseEvent.Data.ToArray());
        }

        Assert.Equal(0, AllocatedWhileDecoding(new GeminiStreamDecoder(), events));
    }

    [Theory]
    [InlineData("ollama/text-stream.ndjson")]
    [InlineData("ollama/tool-call-stream.ndjson")]
    public void OllamaDecoder_Warm_AllocatesNothingPerLine(string recording)
    {
        var lines = ProviderTestData.Read(recording).AsSpan().ToArray()
            .Aggregate(new List<List<byte>> { new() }, (all, b) => { if (b == (byte)'\n') all.Add([]); else all[^1].Add(b); return all; })
            .Where(l => l.Count > 0)
            .Select(l => l.ToArray())
            .ToList();

        Assert.Equal(0, AllocatedWhileDecoding(new OllamaStreamDecoder(), lines));
    }

    private static long AllocatedWhileDecoding(ProviderStreamDecoder decoder, List<byte[]> events)
    {
        var sink = new CountingSink();
        Decode(decoder, events, sink);
        Decode(decoder, events, sink);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Decode(decoder, events, sink);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sink.Chunks > 0 && sink.Done == 3);
        return allocated;
    }

    private static void Decode(ProviderStreamDecoder decoder, List<byte[]> events, CountingSink sink)
    {
        var usage = new TokenUsage();
        decoder.Reset(default);
        foreach (var data in events)
        {
            Assert.True(decoder.OnEvent(default, data, sink, ref usage));
        }
    }

    private sealed class CountingSink : IPivotStreamSink
    {
        public int Chunks;
        public int Done;

        void IPivotStreamSink.Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText) => Chunks++;

        void IPivotStreamSink.Done() => Done++;

        void IPivotStreamSink.Error(in AiError error)
        {
        }
    }
}
