using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Google's Gemini API (<c>kind = "gemini"</c>): <c>/v1beta/models/{model}:generateContent</c>,
/// <c>:streamGenerateContent?alt=sse</c> and <c>:batchEmbedContents</c>, the key in
/// <c>x-goog-api-key</c>. Chat (OpenAI or Anthropic clients, both as the pivot) and embeddings.
/// </summary>
public sealed class GeminiAdapter : ProviderAdapter
{
    public override ProviderKind Kind => ProviderKind.Gemini;

    public override StreamFraming StreamFraming => StreamFraming.Sse;

    public override bool Supports(ClientApi api) => api is ClientApi.OpenAiChat or ClientApi.AnthropicMessages or ClientApi.OpenAiEmbeddings;

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        ProviderTarget.WriteBasePath(provider.BaseUrl, target);
        target.Write("/v1beta/models/"u8);
        // A target configured as "models/x" names the same model as "x".
        ProviderTarget.WritePathSegment(model.StartsWith("models/"u8) ? model[7..] : model, target, encodeColon: true);
        target.Write(api == ClientApi.OpenAiEmbeddings ? ":batchEmbedContents"u8
            : stream ? ":streamGenerateContent?alt=sse"u8
            : ":generateContent"u8);
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            ProviderTarget.SetHeader(headers, "x-goog-api-key"u8, default, apiKey);
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
                    GeminiRequestWriter.WriteChat(pivot, model, writer);
                    break;
                case ClientApi.OpenAiEmbeddings:
                    GeminiRequestWriter.WriteEmbeddings(pivot, model, writer);
                    break;
                default:
                    error = new AiError(400, "invalid_request_error", "gemini providers serve chat and embeddings only");
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
            error = new AiError(400, "invalid_request_error", "the request could not be translated for gemini: it is not valid JSON of the expected shape");
            return false;
        }
    }

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        error = default;
        try
        {
            var writer = JsonWriters.For(pivot);
            if (api == ClientApi.OpenAiEmbeddings)
            {
                GeminiResponseReader.WriteEmbeddings(body, writer);
            }
            else if (!GeminiResponseReader.WriteChat(body, writer, ref usage, out error))
            {
                return false;
            }
            writer.Flush();
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            error = new AiError(502, "api_error", "gemini answered with a body that is not a valid GenerateContentResponse");
            return false;
        }
    }

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => GeminiErrors.Read(status, body);

    public override ProviderStreamDecoder NewStreamDecoder() => new GeminiStreamDecoder();
}
