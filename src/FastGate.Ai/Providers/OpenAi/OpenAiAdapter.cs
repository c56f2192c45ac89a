using System.Buffers;
using FastGate.Ai.Providers.Pivot;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// OpenAI's API and servers that copy it (<c>openai-compatible</c>: vLLM, llama.cpp, LM Studio, OpenRouter and
/// the like). Chat completions are the pivot, so a request only gets the target model and, on streams,
/// <c>stream_options.include_usage</c>; answers are copied. Paths are the base URL's, then
/// <c>/v1/chat/completions</c>, <c>/v1/embeddings</c> or <c>/v1/responses</c>; the key goes in
/// <c>Authorization: Bearer</c>.
/// </summary>
public sealed class OpenAiAdapter : ProviderAdapter
{
    public OpenAiAdapter(ProviderKind kind)
    {
        if (kind is not (ProviderKind.OpenAi or ProviderKind.OpenAiCompatible))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "an OpenAI adapter speaks to openai and openai-compatible providers");
        }
        Kind = kind;
    }

    public override ProviderKind Kind { get; }

    public override StreamFraming StreamFraming => StreamFraming.Sse;

    public override bool Supports(ClientApi api) => api is ClientApi.OpenAiChat or ClientApi.OpenAiEmbeddings or ClientApi.OpenAiResponses;

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        ProviderTarget.WriteBasePath(provider.BaseUrl, target);
        target.Write(api switch
        {
            ClientApi.OpenAiEmbeddings => "/v1/embeddings"u8,
            ClientApi.OpenAiResponses => "/v1/responses"u8,
            _ => "/v1/chat/completions"u8,
        });
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers)
    {
        // The client's key for the gateway, in whichever header it came, never goes to the provider.
        headers.Remove("x-api-key"u8);
        headers.Remove("api-key"u8);
        if (string.IsNullOrEmpty(apiKey))
        {
            // A local compatible server may need no key; whatever the client sent stays off the upstream request.
            headers.Remove("authorization"u8);
            return;
        }
        ProviderTarget.SetHeader(headers, "authorization"u8, "Bearer "u8, apiKey);
    }

    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) =>
        OpenAiRequestWriter.TryWrite(api, pivot, facts, model, body, out error);

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) =>
        OpenAiResponseReader.TryRead(api, body, pivot, ref usage, out error);

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => OpenAiErrors.FromResponse(status, body);

    public override ProviderStreamDecoder NewStreamDecoder() => new OpenAiStreamDecoder();
}
