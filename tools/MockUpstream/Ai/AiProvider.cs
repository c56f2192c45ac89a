namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>One provider's wire shapes: its errors, its answer, its stream, its key check.</summary>
internal abstract class AiProvider
{
    /// <summary>The prefix of the kinds it counts under (<c>openai</c>, <c>anthropic</c>, ...).</summary>
    public abstract string Name { get; }
    public virtual string ErrorContentType => "application/json";

    /// <summary>The provider's error body for <paramref name="status"/> (429, 500, 503, 400, 401, 404).</summary>
    public abstract byte[] Error(int status, string message);

    /// <summary>Whether the request carries the key header the provider requires; the message when not.</summary>
    public abstract bool Authorized(HttpRequest request, out string problem);

    public abstract byte[] Answer(AiPlan plan);

    public abstract AiStreamShape Stream(AiPlan plan);

    /// <summary>The usage the provider's shapes can express (some have no field for cached or reasoning tokens).</summary>
    public virtual ServedUsage Served(AiPlan plan) => plan.Usage;

    protected static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
}
