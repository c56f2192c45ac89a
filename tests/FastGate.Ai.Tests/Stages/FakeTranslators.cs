using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Tests.Stages;

/// <summary>
/// A client front and a provider adapter with shapes of our own, simple enough that a test reads
/// what the stage did: the front's pivot is the client body, the provider gets
/// <c>{"model":M,"pivot":...}</c>, its stream events are <c>data: tok</c> and <c>data: end</c>.
/// </summary>
internal sealed class FakeFront(ClientApi api = ClientApi.OpenAiChat) : FrontCodec
{
    public override ClientApi Api => api;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = default;
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    facts.ModelStart = (int)reader.TokenStartIndex + 1;
                    facts.ModelLength = reader.ValueSpan.Length;
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    facts.Stream = reader.TokenType == JsonTokenType.True;
                }
            }
        }
        catch (JsonException)
        {
            error = new AiError(400, "invalid_request_error", "not JSON");
            return false;
        }
        pivot.Write(body);
        return true;
    }

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) =>
        output.Write(Encoding.UTF8.GetBytes($"{{\"front\":{Encoding.UTF8.GetString(pivot)},\"in\":{usage.Input},\"out\":{usage.Output}}}"));

    public override void WriteError(in AiError error, IBufferWriter<byte> output) =>
        output.Write(Encoding.UTF8.GetBytes($"{{\"error\":{{\"type\":\"{error.Type}\",\"message\":{JsonSerializer.Serialize(error.Message, FakeJson.Default.String)}}}}}"));

    public override FrontStreamEncoder NewStreamEncoder() => new Encoder();

    private sealed class Encoder : FrontStreamEncoder
    {
        public override void Reset(in RequestFacts facts)
        {
        }

        public override void Chunk(ReadOnlySpan<byte> pivotChunk, IBufferWriter<byte> output)
        {
            output.Write("data: "u8);
            output.Write(pivotChunk);
            output.Write("\n\n"u8);
        }

        public override void Done(in TokenUsage usage, IBufferWriter<byte> output) =>
            output.Write(Encoding.ASCII.GetBytes($"data: {{\"usage\":{usage.Output}}}\n\ndata: [DONE]\n\n"));

        public override void Error(in AiError error, IBufferWriter<byte> output) =>
            output.Write(Encoding.ASCII.GetBytes($"data: {{\"error\":\"{error.Type}\"}}\n\n"));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FakeJson : System.Text.Json.Serialization.JsonSerializerContext;

internal sealed class FakeAdapter(ProviderKind kind = ProviderKind.Anthropic, StreamFraming framing = StreamFraming.Sse) : ProviderAdapter
{
    public override ProviderKind Kind => kind;
    public override StreamFraming StreamFraming => framing;
    // Like the OpenAI adapter: asked for the pivot's API, never for the Messages front's.
    public override bool Supports(ClientApi api) => api is not (ClientApi.OpenAiEmbeddings or ClientApi.AnthropicMessages);

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        target.Write(Encoding.ASCII.GetBytes(provider.BaseUrl.AbsolutePath.TrimEnd('/')));
        target.Write("/fake/"u8);
        target.Write(model);
        target.Write(stream ? "?stream=1"u8 : default);
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) =>
        headers.Set("x-fake-key"u8, Encoding.ASCII.GetBytes(apiKey));

    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        error = default;
        body.Write("{\"model\":\""u8);
        body.Write(model);
        body.Write("\",\"pivot\":"u8);
        body.Write(pivot);
        body.Write("}"u8);
        return true;
    }

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        error = default;
        if (body.IndexOf("garbage"u8) >= 0)
        {
            error = new AiError(502, "api_error", "garbage");
            return false;
        }
        if (body.IndexOf("\"usage\""u8) >= 0)
        {
            usage = new TokenUsage { Input = 3, Output = 5, CachedInput = 1, Reported = true };
        }
        pivot.Write(body);
        return true;
    }

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "upstream said: " + Encoding.UTF8.GetString(body));

    public override ProviderStreamDecoder NewStreamDecoder() => new Decoder();

    private sealed class Decoder : ProviderStreamDecoder
    {
        public override void Reset(in RequestFacts facts)
        {
        }

        public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
        {
            if (data.SequenceEqual("end"u8) || data.StartsWith("{\"done\""u8))
            {
                usage.Input = 2;
                usage.Output += 0;
                usage.Reported = true;
                sink.Done();
                return true;
            }
            if (data.StartsWith("tok"u8) || data.StartsWith("{\"tok\""u8))
            {
                usage.Output++;
                sink.Chunk("{\"c\":\"tok\"}"u8, "tok"u8);
                return true;
            }
            return false;
        }
    }
}

internal sealed class FixedEstimator : ITokenEstimator
{
    public long CountPrompt(ReadOnlySpan<byte> pivotRequest, string model) => 100;

    public long CountText(ReadOnlySpan<byte> utf8Text, string model) => utf8Text.Length;
}

internal sealed class RecordingSink : IUsageSink
{
    public ConcurrentQueue<UsageRecord> Records { get; } = new();
    public ConcurrentQueue<string> Fallbacks { get; } = new();
    public ConcurrentQueue<string> Errors { get; } = new();

    public void Record(in UsageRecord record) => Records.Enqueue(record);

    public void Fallback(string route, string fromProvider, string toProvider, int status) => Fallbacks.Enqueue($"{route}:{fromProvider}->{toProvider}:{status}");

    public void ProviderError(string provider, string model, int status) => Errors.Enqueue($"{provider}/{model}:{status}");
}
