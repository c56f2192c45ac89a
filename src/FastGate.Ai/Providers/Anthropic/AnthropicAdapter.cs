using System.Buffers;
using FastGate.Ai.Json;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// The <c>anthropic</c> provider kind: Claude's Messages API (<c>POST /v1/messages</c>) and its
/// token counter (<c>POST /v1/messages/count_tokens</c>), authenticated by <c>x-api-key</c> with
/// an <c>anthropic-version</c>. Chat requests of either client API reach it as the pivot.
/// </summary>
public sealed class AnthropicAdapter : ProviderAdapter
{
    /// <summary>The API version sent when the provider's <c>api_version</c> names none.</summary>
    public const string DefaultApiVersion = "2023-06-01";

    public override ProviderKind Kind => ProviderKind.Anthropic;

    public override StreamFraming StreamFraming => StreamFraming.Sse;

    public override bool Supports(ClientApi api) =>
        api is ClientApi.OpenAiChat or ClientApi.AnthropicMessages or ClientApi.AnthropicCountTokens;

    public override void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target)
    {
        var prefix = provider.BaseUrl.AbsolutePath.AsSpan().TrimEnd('/');
        var path = api == ClientApi.AnthropicCountTokens ? "/v1/messages/count_tokens"u8 : "/v1/messages"u8;
        var span = target.GetSpan(prefix.Length * 3 + path.Length);
        var at = System.Text.Encoding.UTF8.GetBytes(prefix, span);
        path.CopyTo(span[at..]);
        target.Advance(at + path.Length);
    }

    public override void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers)
    {
        Span<byte> buffer = stackalloc byte[256];
        // The client's own credentials never go upstream; the provider's key does.
        headers.Remove("authorization"u8);
        headers.Set("x-api-key"u8, Utf8(apiKey, buffer, out var rented));
        Return(rented);
        headers.Set("anthropic-version"u8, Utf8(provider.ApiVersion ?? DefaultApiVersion, buffer, out rented));
        Return(rented);
    }

    public override bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        if (!Supports(api))
        {
            error = Unsupported(api);
            return false;
        }
        return AnthropicRequestWriter.TryWrite(api == ClientApi.AnthropicCountTokens, pivot, model, body, out error);
    }

    public override bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        if (api == ClientApi.AnthropicCountTokens)
        {
            return AnthropicResponseReader.TryReadCount(body, pivot, ref usage, out error);
        }
        return AnthropicResponseReader.TryRead(body, pivot, ref usage, out error);
    }

    public override AiError ReadError(int status, ReadOnlySpan<byte> body) => AnthropicErrors.Read(status, body);

    public override ProviderStreamDecoder NewStreamDecoder() => new AnthropicStreamDecoder();

    private static AiError Unsupported(ClientApi api) =>
        new(400, "invalid_request_error", api == ClientApi.OpenAiEmbeddings
            ? "Anthropic providers have no embeddings API"
            : "Anthropic providers have no Responses API");

    private static ReadOnlySpan<byte> Utf8(string text, Span<byte> buffer, out byte[]? rented)
    {
        rented = null;
        var length = System.Text.Encoding.UTF8.GetByteCount(text);
        if (length > buffer.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(length);
            buffer = rented;
        }
        return buffer[..System.Text.Encoding.UTF8.GetBytes(text, buffer)];
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
