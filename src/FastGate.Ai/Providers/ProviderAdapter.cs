using System.Buffers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers;

/// <summary>
/// Speaks one provider kind's API, from and to the pivot shape (OpenAI chat completions). A
/// singleton per kind, stateless: everything per exchange comes in as arguments or lives in a
/// <see cref="ProviderStreamDecoder"/>. Called once per upstream attempt: a fallback to another
/// provider kind translates again from the pivot.
/// </summary>
public abstract class ProviderAdapter
{
    public abstract ProviderKind Kind { get; }

    /// <summary>How this provider frames a streamed answer.</summary>
    public abstract StreamFraming StreamFraming { get; }

    /// <summary>False for an API the provider does not have (the stage answers 400 or tries the next target).</summary>
    public abstract bool Supports(ClientApi api);

    /// <summary>The upstream request target for <paramref name="api"/>: the base URL's path, then the API's path and query.</summary>
    public abstract void WriteTarget(ClientApi api, ProviderModel provider, ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> target);

    /// <summary>Authentication and API headers for one attempt (Content-Type is the stage's).</summary>
    public abstract void SetHeaders(ProviderModel provider, string apiKey, HeaderEdits headers);

    /// <summary>
    /// The provider's request body for <paramref name="api"/> from the pivot request, with
    /// <paramref name="model"/> as the model. On OpenAI-kind streams, asks for usage
    /// (<c>stream_options.include_usage</c>) whatever the client asked.
    /// </summary>
    public abstract bool TryWriteRequest(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error);

    /// <summary>A whole non-streamed 2xx answer to the pivot response shape, and its usage.</summary>
    public abstract bool TryReadResponse(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error);

    /// <summary>A non-2xx answer: its status mapped and the provider's message kept.</summary>
    public abstract AiError ReadError(int status, ReadOnlySpan<byte> body);

    public abstract ProviderStreamDecoder NewStreamDecoder();
}
