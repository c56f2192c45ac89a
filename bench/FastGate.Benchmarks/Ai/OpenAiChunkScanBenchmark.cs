using BenchmarkDotNet.Attributes;
using FastGate.Ai.Stages;

namespace FastGate.Benchmarks.Ai;

/// <summary>
/// The AI stage's pass-through test of one OpenAI stream chunk (does it name an error, or a usage
/// other than <c>"usage":null</c>?), run for nearly every event of a chat stream: the content
/// chunk the mock provider sends on ai-stream, asked for usage as FastGate always asks, so it
/// ends with <c>"usage":null</c>.
/// </summary>
[MemoryDiagnoser]
public class OpenAiChunkScanBenchmark
{
    private readonly byte[] _chunk =
        """{"id":"chatcmpl-00000001","object":"chat.completion.chunk","created":1796414945,"model":"m+tokens-64","service_tier":"default","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}],"usage":null}"""u8.ToArray();

    [Benchmark]
    public bool ContentChunk() => OpenAiChunkScan.NamesNeitherUsageNorError(_chunk);
}
