using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// The mock model providers on the mock's one port: OpenAI (<c>/v1/chat/completions</c>,
/// <c>/v1/embeddings</c>, <c>/v1/responses</c>, <c>/v1/models</c>), Azure OpenAI
/// (<c>/openai/deployments/{m}/...?api-version=</c>), Anthropic (<c>/v1/messages</c>,
/// <c>/v1/messages/count_tokens</c>), Gemini (<c>/v1beta/models/{m}:generateContent</c>,
/// <c>:streamGenerateContent</c>, <c>:batchEmbedContents</c>, <c>:embedContent</c>) and Ollama
/// (<c>/api/chat</c>, <c>/api/embed</c>). The model name says what to do (<see cref="MockModel"/>);
/// <c>GET /_mock/ai/stats</c> says what was served, <c>POST /_mock/ai/reset</c> zeroes it.
/// </summary>
internal sealed class AiEndpoints
{
    private const int MaxBodyBytes = 64 * 1024 * 1024;
    private const int MaxPacedDelayMs = 1000;

    private readonly AiCounters _counters = new();
    private readonly OpenAiProvider _openAi = new(azure: false);
    private readonly OpenAiProvider _azure = new(azure: true);
    private readonly AnthropicProvider _anthropic = new();
    private readonly GeminiProvider _gemini = new();
    private readonly OllamaProvider _ollama = new();
    private long _ids;

    /// <summary>Whether <paramref name="path"/> is one of the AI endpoints (they bypass the HTTP faults and counters).</summary>
    public static bool Owns(string path) =>
        path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/openai/", StringComparison.Ordinal)
        || path.StartsWith("/v1beta/", StringComparison.Ordinal) || path.StartsWith("/api/", StringComparison.Ordinal)
        || path.StartsWith("/_mock/ai/", StringComparison.Ordinal);

    public Task HandleAsync(HttpContext ctx, string path)
    {
        var method = ctx.Request.Method;
        switch (path)
        {
            case "/_mock/ai/stats" when HttpMethods.IsGet(method):
                return WriteAsync(ctx, 200, AiJsonStats(), "application/json");
            case "/_mock/ai/reset" when HttpMethods.IsPost(method):
                _counters.Reset();
                return WriteAsync(ctx, 200, AiJsonStats(), "application/json");
            case "/v1/models" when HttpMethods.IsGet(method):
                return WriteAsync(ctx, 200, _openAi.Models(), "application/json");
            case "/v1/chat/completions":
                return ChatAsync(ctx, _openAi, "openai.chat", pathModel: null, streamDefault: false, forced: null);
            case "/v1/embeddings":
                return EmbedAsync(ctx, _openAi, "openai.embeddings", pathModel: null);
            case "/v1/responses":
                return ResponsesAsync(ctx, _openAi, "openai.responses");
            case "/v1/messages":
                return ChatAsync(ctx, _anthropic, "anthropic.messages", pathModel: null, streamDefault: false, forced: null);
            case "/v1/messages/count_tokens":
                return CountTokensAsync(ctx);
            case "/api/chat":
                // Ollama streams unless told not to.
                return ChatAsync(ctx, _ollama, "ollama.chat", pathModel: null, streamDefault: true, forced: null);
            case "/api/embed":
                return EmbedAsync(ctx, _ollama, "ollama.embed", pathModel: null);
            case "/openai/responses" or "/openai/v1/responses":
                return AzureQueryOk(ctx) ? ResponsesAsync(ctx, _azure, "azure.responses") : AzureVersionMissing(ctx);
        }
        if (path.StartsWith("/openai/deployments/", StringComparison.Ordinal))
        {
            var rest = path["/openai/deployments/".Length..];
            var slash = rest.IndexOf('/');
            if (slash > 0)
            {
                if (!AzureQueryOk(ctx))
                {
                    return AzureVersionMissing(ctx);
                }
                var deployment = rest[..slash];
                switch (rest[(slash + 1)..])
                {
                    case "chat/completions":
                        return ChatAsync(ctx, _azure, "azure.chat", deployment, streamDefault: false, forced: null);
                    case "embeddings":
                        return EmbedAsync(ctx, _azure, "azure.embeddings", deployment);
                    case "responses":
                        return ResponsesAsync(ctx, _azure, "azure.responses");
                }
            }
        }
        if (path.StartsWith("/v1beta/models/", StringComparison.Ordinal))
        {
            var rest = path["/v1beta/models/".Length..];
            var colon = rest.LastIndexOf(':');
            if (colon > 0)
            {
                var model = rest[..colon];
                switch (rest[(colon + 1)..])
                {
                    case "generateContent":
                        return ChatAsync(ctx, _gemini, "gemini.generate", model, streamDefault: false, forced: false);
                    case "streamGenerateContent":
                        return ChatAsync(ctx, _gemini, "gemini.generate", model, streamDefault: true, forced: true);
                    case "batchEmbedContents" or "embedContent":
                        return EmbedAsync(ctx, _gemini, "gemini.embed", model);
                }
            }
        }
        var notFound = path.StartsWith("/v1beta/", StringComparison.Ordinal) ? _gemini
            : path.StartsWith("/api/", StringComparison.Ordinal) ? (AiProvider)_ollama : _openAi;
        return WriteAsync(ctx, 404, notFound.Error(404, $"no mock provider endpoint {method} {path}"), notFound.ErrorContentType);
    }

    private static bool AzureQueryOk(HttpContext ctx) => !string.IsNullOrEmpty(ctx.Request.Query["api-version"]);

    private Task AzureVersionMissing(HttpContext ctx) =>
        WriteAsync(ctx, 404, _azure.Error(404, "Resource not found (the api-version query parameter is required)"), "application/json");

    private byte[] AiJsonStats()
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(output))
        {
            _counters.Write(json);
        }
        return output.WrittenSpan.ToArray();
    }

    private string NextId() => Interlocked.Increment(ref _ids).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The part every chat-like endpoint shares: key, body, model options, failures; then the answer or the stream.</summary>
    private async Task<(AiRequest Request, MockModel Model, string ModelName)?> AdmitAsync(HttpContext ctx, AiProvider provider, string kind, string? pathModel)
    {
        _counters.CountRequest(kind);
        if (!provider.Authorized(ctx.Request, out var problem))
        {
            await WriteAsync(ctx, 401, provider.Error(401, problem), provider.ErrorContentType);
            return null;
        }
        var body = await ReadBodyAsync(ctx);
        if (body is null)
        {
            await WriteAsync(ctx, 413, provider.Error(400, "request body too large"), provider.ErrorContentType);
            return null;
        }
        if (!AiRequest.TryParse(body, out var request, out var error))
        {
            await WriteAsync(ctx, 400, provider.Error(400, error), provider.ErrorContentType);
            return null;
        }
        var modelName = pathModel ?? request.Model;
        if (modelName.Length == 0)
        {
            await WriteAsync(ctx, 400, provider.Error(400, "you must provide a model parameter"), provider.ErrorContentType);
            return null;
        }
        if (!MockModel.TryParse(modelName, out var model, out error))
        {
            await WriteAsync(ctx, 400, provider.Error(400, error), provider.ErrorContentType);
            return null;
        }
        if (model.FailStatus != 0)
        {
            if (model.FailStatus == 429)
            {
                ctx.Response.Headers.RetryAfter = "1";
            }
            await WriteAsync(ctx, model.FailStatus, provider.Error(model.FailStatus, $"injected {model.FailStatus} (mock model {modelName})"), provider.ErrorContentType);
            return null;
        }
        return (request, model, modelName);
    }

    private async Task ChatAsync(HttpContext ctx, AiProvider provider, string kind, string? pathModel, bool streamDefault, bool? forced)
    {
        var admitted = await AdmitAsync(ctx, provider, kind, pathModel);
        if (admitted is not { } a)
        {
            return;
        }
        var plan = new AiPlan(a.Request, a.Model, a.ModelName, NextId());
        var stream = forced ?? a.Request.Stream ?? streamDefault;
        if (stream && provider is GeminiProvider && ctx.Request.Query["alt"] != "sse")
        {
            // Without alt=sse Gemini streams one JSON array; the adapters ask for SSE.
            await WriteAsync(ctx, 400, provider.Error(400, "the mock serves streamGenerateContent with alt=sse only"), provider.ErrorContentType);
            return;
        }
        if (stream)
        {
            await StreamAsync(ctx, provider.Stream(plan), plan, kind, provider.Served(plan));
        }
        else
        {
            await AnswerAsync(ctx, provider.Answer(plan), plan, kind, provider.Served(plan));
        }
    }

    private async Task ResponsesAsync(HttpContext ctx, OpenAiProvider provider, string kind)
    {
        var admitted = await AdmitAsync(ctx, provider, kind, pathModel: null);
        if (admitted is not { } a)
        {
            return;
        }
        var plan = new AiPlan(a.Request, a.Model, a.ModelName, NextId());
        if (a.Request.Stream == true)
        {
            await StreamAsync(ctx, provider.ResponsesStream(plan), plan, kind, plan.Usage);
        }
        else
        {
            await AnswerAsync(ctx, provider.ResponsesAnswer(plan), plan, kind, plan.Usage);
        }
    }

    private async Task EmbedAsync(HttpContext ctx, IEmbeddingProvider provider, string kind, string? pathModel)
    {
        var admitted = await AdmitAsync(ctx, (AiProvider)provider, kind, pathModel);
        if (admitted is not { } a)
        {
            return;
        }
        var plan = new AiPlan(a.Request, a.Model, a.ModelName, NextId());
        var usage = new ServedUsage(a.Request.InputWords, 0, 0, 0);
        await AnswerAsync(ctx, provider.Embeddings(plan), plan, kind, usage);
    }

    private async Task CountTokensAsync(HttpContext ctx)
    {
        var admitted = await AdmitAsync(ctx, _anthropic, "anthropic.count_tokens", pathModel: null);
        if (admitted is not { } a)
        {
            return;
        }
        var body = AiJson.Object(j => j.WriteNumber("input_tokens", a.Request.InputWords));
        await WriteAsync(ctx, 200, body, "application/json");
        // Counting is not consuming: kept out of the totals a gateway's ledger is compared with.
        _counters.CountCompleted("anthropic.count_tokens", new ServedUsage(a.Request.InputWords, 0, 0, 0), inTotals: false);
    }

    private async Task AnswerAsync(HttpContext ctx, byte[] body, AiPlan plan, string kind, ServedUsage usage)
    {
        var aborted = ctx.RequestAborted;
        var response = ctx.Response;
        try
        {
            var delay = plan.Model.TtftMs + (plan.Model.TokensPerSecond > 0
                ? (int)Math.Min(60_000L, (long)plan.Usage.Output * 1000 / plan.Model.TokensPerSecond) : 0);
            if (delay > 0)
            {
                await Task.Delay(delay, aborted);
            }
            response.StatusCode = 200;
            if (plan.Model.Garbage)
            {
                response.ContentType = "application/json";
                await response.Body.WriteAsync("<html>upstream garbage, not JSON {{{"u8.ToArray(), aborted);
                return;
            }
            response.ContentType = "application/json";
            response.ContentLength = body.Length;
            if (plan.Model.Cut)
            {
                await response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), aborted);
                await response.Body.FlushAsync(aborted);
                await CutAsync(ctx);
                return;
            }
            await response.Body.WriteAsync(body, aborted);
            await response.Body.FlushAsync(aborted);
            if (!aborted.IsCancellationRequested)
            {
                _counters.CountCompleted(kind, usage);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            // The caller went away.
        }
    }

    /// <summary>
    /// Headers, the events before the first token, then one flushed event per token, paced by
    /// ttft-N and tps-N against one clock (a late token is not made up by a longer wait), then the end.
    /// </summary>
    private async Task StreamAsync(HttpContext ctx, AiStreamShape shape, AiPlan plan, string kind, ServedUsage usage)
    {
        var aborted = ctx.RequestAborted;
        var response = ctx.Response;
        var writer = response.BodyWriter;
        try
        {
            if (plan.Model.TtftMs > 0)
            {
                await Task.Delay(plan.Model.TtftMs, aborted);
            }
            response.StatusCode = 200;
            response.ContentType = shape.ContentType;
            response.Headers.CacheControl = "no-cache";
            if (plan.Model.Garbage)
            {
                for (var i = 0; i < 3; i++)
                {
                    shape.WriteGarbage(writer);
                    await writer.FlushAsync(aborted);
                }
                return;
            }
            shape.WriteHead(writer);
            var count = shape.Count;
            var cutAt = plan.Model.Cut ? count / 2 : -1;
            var tps = plan.Model.TokensPerSecond;
            var clock = tps > 0 ? Stopwatch.StartNew() : null;
            for (var i = 0; i < count; i++)
            {
                if (i == cutAt)
                {
                    await writer.FlushAsync(aborted);
                    await CutAsync(ctx);
                    return;
                }
                if (clock is not null && i > 0)
                {
                    var due = (long)i * 1000 / tps;
                    var wait = due - clock.ElapsedMilliseconds;
                    if (wait > 0)
                    {
                        await Task.Delay((int)Math.Min(wait, MaxPacedDelayMs), aborted);
                    }
                }
                shape.WriteToken(writer, i);
                var flush = await writer.FlushAsync(aborted);
                if (flush.IsCanceled || flush.IsCompleted)
                {
                    return;
                }
            }
            if (cutAt == 0)
            {
                await writer.FlushAsync(aborted);
                await CutAsync(ctx);
                return;
            }
            shape.WriteTail(writer);
            await writer.FlushAsync(aborted);
            await writer.CompleteAsync();
            if (!aborted.IsCancellationRequested)
            {
                _counters.CountCompleted(kind, usage);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionAbortedException or InvalidOperationException)
        {
            // The caller went away mid-stream: not written to its end, not counted.
        }
    }

    /// <summary>
    /// An upstream that dies mid-answer: a FIN after the bytes already sent (a reset could make
    /// the peer's kernel drop them unread), with no end to the chunked body. A flush only hands
    /// the bytes to Kestrel's output loop, so the FIN waits a moment for them to reach the socket.
    /// </summary>
    private static async Task CutAsync(HttpContext ctx)
    {
        await Task.Delay(50);
        try
        {
            ctx.Features.Get<IConnectionSocketFeature>()?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
        ctx.Abort();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext ctx)
    {
        var reader = ctx.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ctx.RequestAborted);
            if (result.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                return null;
            }
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static Task WriteAsync(HttpContext ctx, int status, byte[] body, string contentType)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }
}

/// <summary>Providers with an embeddings endpoint.</summary>
internal interface IEmbeddingProvider
{
    byte[] Embeddings(AiPlan plan);
}
