using System.Buffers;
using FastGate.Ai.Providers.Pivot;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Azure OpenAI: OpenAI's bodies and streams, at deployment URLs. The target model is the deployment name:
/// <c>/openai/deployments/{model}/chat/completions?api-version=V</c> (and <c>/embeddings</c>), and for
/// responses, which Azure serves per resource, <c>/openai/responses?api-version=V</c> with the deployment as
/// the body's model. The body keeps its model member (set to the deployment name): Azure ignores it on
/// deployment URLs and needs it on the responses URL. The key goes in an <c>api-key</c> header.
/// </summary>
public sealed class AzureOpenAiAdapter : ProviderAdapter
{
    public override ProviderKind Kind => ProviderKind.AzureOpenAi;

    public override StreamFraming StreamFraming => StreamFraming.Sse;

    public override bool Supports(ClientApi api) => api is ClientApi.OpenAiChat or ClientApi.OpenAiEmbeddings or ClientApi.OpenAiResponses;

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        ProviderTarget.WriteBasePath(provider.BaseUrl, target);
        if (api == ClientApi.OpenAiResponses)
        {
            target.Write("/openai/responses"u8);
        }
        else
        {
            target.Write("/openai/deployments/"u8);
            ProviderTarget.WritePathSegment(model, target, encodeColon: false);
            target.Write(api == ClientApi.OpenAiEmbeddings ? "/embeddings"u8 : "/chat/completions"u8);
        }
        if (!string.IsNullOrEmpty(provider.ApiVersion))
        {
            target.Write("?api-version="u8);
            ProviderTarget.WriteQueryValue(provider.ApiVersion, target);
        }
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers)
    {
        // The client's key for the gateway never goes to the provider; Azure also takes Entra ID bearer
        // tokens, so a client's Authorization must not reach it either.
        headers.Remove("authorization"u8);
        headers.Remove("x-api-key"u8);
        if (string.IsNullOrEmpty(apiKey))
        {
            return;
        }
        ProviderTarget.SetHeader(headers, "api-key"u8, default, apiKey);
    }

    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error) =>
        OpenAiRequestWriter.TryWrite(api, pivot, facts, model, body, out error);

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error) =>
        OpenAiResponseReader.TryRead(api, body, pivot, ref usage, out error);

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => OpenAiErrors.FromResponse(status, body);

    public override ProviderStreamDecoder NewStreamDecoder() => new OpenAiStreamDecoder();
}
