// Stand-ins with the names the provider translators ship under, so the AI stage builds before
// they are in the tree. Every member refuses; this file goes when the real classes arrive.
using System.Buffers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

#pragma warning disable CS1591

namespace FastGate.Ai.Providers.OpenAi
{
    public sealed class OpenAiAdapter(ProviderKind kind) : ProviderAdapter
    {
        public override ProviderKind Kind => kind;
    public override StreamFraming StreamFraming => StreamFraming.Sse;
    public override bool Supports(ClientApi api) => false;
    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target) => throw Missing();
    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) => throw Missing();
    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) => throw Missing();
    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) => throw Missing();
    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "provider not available in this build");
    public override ProviderStreamDecoder NewStreamDecoder() => throw Missing();
    private static NotSupportedException Missing() => new("provider not available in this build");
    }
}

namespace FastGate.Ai.Providers.OpenAi
{
    public sealed class AzureOpenAiAdapter : ProviderAdapter
    {
        public override ProviderKind Kind => ProviderKind.AzureOpenAi;
    public override StreamFraming StreamFraming => StreamFraming.Sse;
    public override bool Supports(ClientApi api) => false;
    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target) => throw Missing();
    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) => throw Missing();
    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) => throw Missing();
    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) => throw Missing();
    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "provider not available in this build");
    public override ProviderStreamDecoder NewStreamDecoder() => throw Missing();
    private static NotSupportedException Missing() => new("provider not available in this build");
    }
}

namespace FastGate.Ai.Providers.Anthropic
{
    public sealed class AnthropicAdapter : ProviderAdapter
    {
        public override ProviderKind Kind => ProviderKind.Anthropic;
    public override StreamFraming StreamFraming => StreamFraming.Sse;
    public override bool Supports(ClientApi api) => false;
    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target) => throw Missing();
    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) => throw Missing();
    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) => throw Missing();
    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) => throw Missing();
    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "provider not available in this build");
    public override ProviderStreamDecoder NewStreamDecoder() => throw Missing();
    private static NotSupportedException Missing() => new("provider not available in this build");
    }
}

namespace FastGate.Ai.Providers.Gemini
{
    public sealed class GeminiAdapter : ProviderAdapter
    {
        public override ProviderKind Kind => ProviderKind.Gemini;
    public override StreamFraming StreamFraming => StreamFraming.Sse;
    public override bool Supports(ClientApi api) => false;
    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target) => throw Missing();
    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) => throw Missing();
    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) => throw Missing();
    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) => throw Missing();
    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "provider not available in this build");
    public override ProviderStreamDecoder NewStreamDecoder() => throw Missing();
    private static NotSupportedException Missing() => new("provider not available in this build");
    }
}

namespace FastGate.Ai.Providers.Ollama
{
    public sealed class OllamaAdapter : ProviderAdapter
    {
        public override ProviderKind Kind => ProviderKind.Ollama;
    public override StreamFraming StreamFraming => StreamFraming.Sse;
    public override bool Supports(ClientApi api) => false;
    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target) => throw Missing();
    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers) => throw Missing();
    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) => throw Missing();
    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) => throw Missing();
    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => new(status, "api_error", "provider not available in this build");
    public override ProviderStreamDecoder NewStreamDecoder() => throw Missing();
    private static NotSupportedException Missing() => new("provider not available in this build");
    }
}

namespace FastGate.Ai.Providers.OpenAi
{
    public sealed class OpenAiChatFront : FrontCodec
    {
        public override ClientApi Api => ClientApi.OpenAiChat;
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = new AiError(501, "api_error", "this API is not available in this build");
        return false;
    }
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => throw new NotSupportedException();
    public override void WriteError(in AiError error, IBufferWriter<byte> output) => output.Write("{\"error\":{\"message\":\"unavailable\",\"type\":\"api_error\"}}"u8);
    public override FrontStreamEncoder NewStreamEncoder() => throw new NotSupportedException();
    }
}

namespace FastGate.Ai.Providers.OpenAi
{
    public sealed class OpenAiEmbeddingsFront : FrontCodec
    {
        public override ClientApi Api => ClientApi.OpenAiEmbeddings;
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = new AiError(501, "api_error", "this API is not available in this build");
        return false;
    }
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => throw new NotSupportedException();
    public override void WriteError(in AiError error, IBufferWriter<byte> output) => output.Write("{\"error\":{\"message\":\"unavailable\",\"type\":\"api_error\"}}"u8);
    public override FrontStreamEncoder NewStreamEncoder() => throw new NotSupportedException();
    }
}

namespace FastGate.Ai.Providers.OpenAi
{
    public sealed class OpenAiResponsesFront : FrontCodec
    {
        public override ClientApi Api => ClientApi.OpenAiResponses;
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = new AiError(501, "api_error", "this API is not available in this build");
        return false;
    }
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => throw new NotSupportedException();
    public override void WriteError(in AiError error, IBufferWriter<byte> output) => output.Write("{\"error\":{\"message\":\"unavailable\",\"type\":\"api_error\"}}"u8);
    public override FrontStreamEncoder NewStreamEncoder() => throw new NotSupportedException();
    }
}

namespace FastGate.Ai.Providers.Anthropic
{
    public sealed class AnthropicMessagesFront : FrontCodec
    {
        public override ClientApi Api => ClientApi.AnthropicMessages;
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = new AiError(501, "api_error", "this API is not available in this build");
        return false;
    }
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => throw new NotSupportedException();
    public override void WriteError(in AiError error, IBufferWriter<byte> output) => output.Write("{\"error\":{\"message\":\"unavailable\",\"type\":\"api_error\"}}"u8);
    public override FrontStreamEncoder NewStreamEncoder() => throw new NotSupportedException();
    }
}

namespace FastGate.Ai.Providers.Anthropic
{
    public sealed class AnthropicCountTokensFront : FrontCodec
    {
        public override ClientApi Api => ClientApi.AnthropicCountTokens;
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = new AiError(501, "api_error", "this API is not available in this build");
        return false;
    }
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => throw new NotSupportedException();
    public override void WriteError(in AiError error, IBufferWriter<byte> output) => output.Write("{\"error\":{\"message\":\"unavailable\",\"type\":\"api_error\"}}"u8);
    public override FrontStreamEncoder NewStreamEncoder() => throw new NotSupportedException();
    }
}
