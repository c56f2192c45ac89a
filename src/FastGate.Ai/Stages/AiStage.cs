using System.Diagnostics;
using FastGate.Ai.Models;
using FastGate.Ai.Providers;
using FastGate.Core.Http;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;

namespace FastGate.Ai.Stages;

/// <summary>
/// The AI gateway on an <c>ai = true</c> route: takes the client's OpenAI or Anthropic request,
/// resolves its model in the <c>[[model]]</c> table, and for each upstream attempt translates the
/// pivot request for the target provider (path, headers, key, body); falls back to the next
/// target on a connect failure, 429 or 5xx before anything reached the client; translates the
/// answer back, event by event for streams; and records the exchange's usage once it ended.
/// Built once per snapshot and route; per-exchange state lives in one slot
/// (<see cref="AiExchangeState"/>, pooled).
/// </summary>
public sealed partial class AiStage : Stage
{
    private readonly AiServices _services;
    private readonly ModelTable _models;
    private readonly AiModel _settings;
    private readonly RouteModel _route;
    private readonly long _deadlineTicks;
    private readonly byte[] _stripPrefix;

    public AiStage(AiServices services, ModelTable models, AiModel settings, RouteModel route)
    {
        _services = services;
        _models = models;
        _settings = settings;
        _route = route;
        _deadlineTicks = (long)(settings.RequestDeadline.TotalSeconds * Stopwatch.Frequency);
        _stripPrefix = route.StripPrefix is { Length: > 1 } strip ? System.Text.Encoding.UTF8.GetBytes(strip.TrimEnd('/')) : [];
    }

    public override string Name => "ai";

    public override StagePhases Phases =>
        StagePhases.RequestHead | StagePhases.RequestBody | StagePhases.UpstreamChosen | StagePhases.UpstreamFailed
        | StagePhases.ResponseHead | StagePhases.ResponseBody | StagePhases.ResponseEvents | StagePhases.Complete;

    public override int SlotCount => 1;

    public override long RequestBodyLimit => _settings.MaxRequestBytes;

    /// <summary>Translated answers and events rarely keep the provider's length.</summary>
    public override bool ChangesResponseLength => true;

    public override bool ObservesResponseEnd => true;

    /// <summary>A stream whose client left is read on so its usage is counted (bounded by drain_timeout and max_drains).</summary>
    public override bool ReadsToEndAfterClientLeft => true;

    private AiExchangeState? State(Exchange exchange) => exchange.Slots[SlotBase] as AiExchangeState;

    // ---- request head ----

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        var request = exchange.Request;
        var path = request.Path;
        if (_stripPrefix.Length > 0 && path.StartsWith(_stripPrefix))
        {
            // A front mounted elsewhere ("/llm/v1/..." with strip_prefix = "/llm") serves the same paths.
            path = path[_stripPrefix.Length..];
        }
        if (path.SequenceEqual("/v1/models"u8))
        {
            return new(request.Method is RequestMethod.Get or RequestMethod.Head
                ? exchange.AnswerJson(200, _models.ListJson)
                : AnswerUnknown(exchange, 405, "use GET for /v1/models"));
        }
        if (!AiPaths.TryMap(path, out var api) || !_services.Codecs.HasFront(api))
        {
            return new(AnswerUnknown(exchange, 404, "unknown API path: FastGate serves /v1/chat/completions, /v1/embeddings, /v1/responses, /v1/models, /v1/messages and /v1/messages/count_tokens"));
        }
        if (request.Method != RequestMethod.Post)
        {
            return new(AnswerUnknown(exchange, 405, "use POST for this API"));
        }
        var state = AiExchangeState.Rent();
        exchange.Slots[SlotBase] = state;
        state.Api = api;
        state.UpstreamApi = AiPaths.Upstream(api);
        state.Front = _services.Codecs.Front(api);
        state.DeadlineTicks = exchange.StartTimestamp + _deadlineTicks;
        if (!request.IsChunked && request.ContentLength <= 0)
        {
            return new(AnswerError(exchange, state, new AiError(400, "invalid_request_error", "a JSON request body is required")));
        }

        // What the client sent as a key is for FastGate; the provider gets its own. Compression
        // would hide the answer from the translators.
        var headers = exchange.UpstreamRequestHeaders;
        RemoveProviderHeaders(headers);
        headers.Remove("accept-encoding"u8);
        return new(StageOutcome.Continue);
    }

    // ---- request body ----

    public override BodyVerdict OnRequestBody(Exchange exchange)
    {
        if (State(exchange) is not { } state)
        {
            return BodyVerdict.Continue;
        }
        if (!state.Front.TryReadRequest(exchange.RequestBody, state.Pivot, out state.Facts, out var error))
        {
            AnswerError(exchange, state, error);
            return BodyVerdict.Continue;
        }
        var asked = state.ModelAskedUtf8;
        var model = _models.Find(asked);
        if (model is null)
        {
            AnswerError(exchange, state, new AiError(404, "not_found_error", $"the model '{state.ModelAsked}' does not exist on this gateway"));
            return BodyVerdict.Continue;
        }
        state.Model = model;
        var first = NextTarget(state, -1);
        if (state.Api == ClientApi.AnthropicCountTokens && (first < 0 || model.Targets[first].Provider.Model.Kind != ProviderKind.Anthropic))
        {
            // Only Anthropic counts tokens for us; for a model served elsewhere the tokenizer does.
            var named = model.Targets[0];
            var usage = new TokenUsage { Input = _services.Estimator.CountPrompt(state.Pivot.WrittenSpan, named.ModelUtf8 is null ? state.ModelAsked : named.Model) };
            state.Usage = usage;
            state.Scratch.Clear();
            state.Front.WriteResponse(default, usage, state.Scratch);
            exchange.AnswerJson(200, state.Scratch.WrittenSpan);
            return BodyVerdict.Continue;
        }
        if (first < 0)
        {
            AnswerError(exchange, state, new AiError(400, "invalid_request_error", $"no provider of the model '{state.ModelAsked}' serves {AiPaths.Describe(state.Api)}"));
            return BodyVerdict.Continue;
        }
        state.Target = first;
        var target = state.CurrentTarget;
        if (!MoveTo(exchange, state, first))
        {
            AnswerError(exchange, state, new AiError(503, "api_error", $"the provider '{target.Provider.Name}' is not configured"));
        }
        return BodyVerdict.Continue;
    }

    /// <summary>The next target after <paramref name="after"/> whose provider speaks the client's API; -1 when none is left.</summary>
    private static int NextTarget(AiExchangeState state, int after)
    {
        var targets = state.Model!.Targets;
        for (var i = after + 1; i < targets.Length; i++)
        {
            if (targets[i].Provider.Adapter.Supports(state.UpstreamApi))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Points the exchange at target <paramref name="index"/>'s provider cluster.</summary>
    private static bool MoveTo(Exchange exchange, AiExchangeState state, int index)
    {
        state.Target = index;
        if (!exchange.Snapshot.Clusters.TryGetValue(state.CurrentTarget.Provider.Model.Cluster, out var cluster))
        {
            return false;
        }
        exchange.Cluster = cluster;
        return true;
    }

    // ---- each attempt ----

    public override StageOutcome OnUpstreamChosen(Exchange exchange)
    {
        if (State(exchange) is not { Model: not null } state)
        {
            return StageOutcome.Continue;
        }
        var target = state.CurrentTarget;
        var provider = target.Provider;
        var adapter = provider.Adapter;
        var model = target.ModelUtf8 ?? state.ModelAskedUtf8;
        state.Attempts++;
        state.Mode = AiResponseMode.None;

        state.Scratch.Clear();
        adapter.WriteTarget(state.UpstreamApi, provider.Model, model, state.Facts.Stream, state.Scratch);
        exchange.SetUpstreamTarget(state.Scratch.WrittenSpan);
        exchange.SetUpstreamHost(provider.HostUtf8);

        var headers = exchange.UpstreamRequestHeaders;
        if (state.Attempts > 1)
        {
            // A key set for the last target's kind must not reach this one (the client's were removed at the head).
            RemoveProviderHeaders(headers);
        }
        adapter.SetHeaders(provider.Model, provider.NextKey(), headers);
        headers.Set("content-type"u8, "application/json"u8);

        var body = exchange.UpstreamBody;
        body.Clear();
        if (!adapter.TryWriteRequest(state.UpstreamApi, state.Pivot.WrittenSpan, state.Facts, model, body, out var error))
        {
            body.Clear();
            return AnswerError(exchange, state, error);
        }
        return StageOutcome.Continue;
    }

    public override StageOutcome OnUpstreamFailed(Exchange exchange, int status)
    {
        if (State(exchange) is not { Model: not null } state)
        {
            return StageOutcome.Continue;
        }
        var target = state.CurrentTarget;
        _services.Usage.ProviderError(target.Provider.Name, target.Model, 0);
        if (TryFallBack(exchange, state, status))
        {
            return StageOutcome.Retry;
        }
        return AnswerError(exchange, state, new AiError(status, status == 504 ? "timeout_error" : "api_error",
            $"the provider '{target.Provider.Name}' could not be reached"));
    }

    /// <summary>
    /// Moves the exchange to the next target when one is left and the request's deadline has not
    /// passed; counts the fallback.
    /// </summary>
    private bool TryFallBack(Exchange exchange, AiExchangeState state, int status)
    {
        if (exchange.Attempt >= MaxAttempts - 1 || Stopwatch.GetTimestamp() >= state.DeadlineTicks)
        {
            return false;
        }
        var from = state.CurrentTarget.Provider.Name;
        var next = NextTarget(state, state.Target);
        if (next < 0 || !MoveTo(exchange, state, next))
        {
            return false;
        }
        _services.Usage.Fallback(_route.Name, from, state.CurrentTarget.Provider.Name, status);
        return true;
    }

    /// <summary>Attempts the front makes for one exchange (the first and its retries, as the stage chain allows).</summary>
    private const int MaxAttempts = 9;

    /// <summary>Every header a provider kind takes its key or API version in: the adapter of the attempt sets its own.</summary>
    private static void RemoveProviderHeaders(HeaderEdits headers)
    {
        headers.Remove("authorization"u8);
        headers.Remove("x-api-key"u8);
        headers.Remove("api-key"u8);
        headers.Remove("x-goog-api-key"u8);
        headers.Remove("anthropic-version"u8);
    }

    // ---- local answers ----

    /// <summary>Answers <paramref name="error"/> in the client protocol's error shape.</summary>
    private static StageOutcome AnswerError(Exchange exchange, AiExchangeState state, in AiError error)
    {
        state.Failed = true;
        state.Scratch.Clear();
        state.Front.WriteError(error, state.Scratch);
        return exchange.AnswerJson(error.Status, state.Scratch.WrittenSpan);
    }

    /// <summary>An answer before any API was recognized: OpenAI's error shape (what most clients of /v1 speak).</summary>
    private static StageOutcome AnswerUnknown(Exchange exchange, int status, string message)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(256);
        var json = Json.JsonWriters.For(output);
        json.WriteStartObject();
        json.WriteStartObject("error"u8);
        json.WriteString("message"u8, message);
        json.WriteString("type"u8, "invalid_request_error"u8);
        json.WriteNull("param"u8);
        json.WriteString("code"u8, status == 404 ? "not_found"u8 : "method_not_allowed"u8);
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        return exchange.AnswerJson(status, output.WrittenSpan);
    }
}
