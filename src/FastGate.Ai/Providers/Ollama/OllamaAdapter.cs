using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>
/// An Ollama server (<c>kind = "ollama"</c>): <c>/api/chat</c> (one JSON object per line when
/// streaming) and <c>/api/embed</c>. Ollama needs no key; one configured (a proxy in front of it)
/// goes as <c>Authorization: Bearer</c>. Chat (OpenAI or Anthropic clients, as the pivot) and embeddings.
/// </summary>
public sealed class OllamaAdapter : ProviderAdapter
{
    public override ProviderKind Kind => ProviderKind.Ollama;

    public override StreamFraming StreamFraming => StreamFraming.NdJson;

    public override bool Supports(ClientApi api) => api is ClientApi.OpenAiChat or ClientApi.AnthropicMessages or ClientApi.OpenAiEmbeddings;

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        ProviderTarget.WriteBasePath(provider.BaseUrl, target);
        target.Write(api == ClientApi.OpenAiEmbeddings ? "/api/embed"u8 : "/api/chat"u8);
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            ProviderTarget.SetHeader(headers, "authorization"u8, "Bearer "u8, apiKey);
        }
    }

    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        error = default;
        try
        {
            var writer = JsonWriters.For(body);
            switch (api)
            {
                case ClientApi.OpenAiChat or ClientApi.AnthropicMessages:
                    OllamaRequestWriter.WriteChat(pivot, model, facts.Stream, writer);
                    break;
                case ClientApi.OpenAiEmbeddings:
                    OllamaRequestWriter.WriteEmbeddings(pivot, model, writer);
                    break;
                default:
                    error = new AiError(400, "invalid_request_error", "ollama providers serve chat and embeddings only");
                    return false;
            }
            writer.Flush();
            return true;
        }
        catch (TranslationException e)
        {
            error = new AiError(400, "invalid_request_error", e.Message);
            return false;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            error = new AiError(400, "invalid_request_error", "the request could not be translated for ollama: it is not valid JSON of the expected shape");
            return false;
        }
    }

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        try
        {
            var writer = JsonWriters.For(pivot);
            var ok = api == ClientApi.OpenAiEmbeddings
                ? OllamaResponseReader.WriteEmbeddings(body, writer, ref usage, out error)
                : OllamaResponseReader.WriteChat(body, writer, ref usage, out error);
            if (ok)
            {
                writer.Flush();
            }
            return ok;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            error = new AiError(502, "api_error", "ollama answered with a body that is not a valid answer");
            return false;
        }
    }

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => OllamaErrors.Read(status, body);

    public override ProviderStreamDecoder NewStreamDecoder() => new OllamaStreamDecoder();
}
