using System.Runtime.CompilerServices;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// A route's rate and concurrency limits, and the caller's consumer limit
/// (<c>[consumer.NAME.limits] requests_per_minute</c>). Runs after auth, so the consumer is known.
/// <para>
/// Request head: first takes a slot of every concurrency limit (local), then charges one request to
/// every rate limit. A refusal answers 429 with Retry-After and the RateLimit-Limit, -Remaining and
/// -Reset fields of the limit that refused; with <c>response_headers</c>, an admitted request's
/// response carries the fields of its tightest limit. On the local backend the phase completes
/// synchronously and allocates nothing; on Redis it completes when the script answers, and a failure
/// follows <c>on_backend_error</c> (local counters, or 503).
/// </para>
/// <para>
/// Completion: gives back the concurrency slots this exchange holds. It runs exactly once, also when
/// the client left or a later stage answered; the slots record which were taken
/// (<see cref="Exchange.Values"/> 1 with the cell in <see cref="Exchange.Slots"/>), so an exchange
/// refused before taking one gives nothing back.
/// </para>
/// </summary>
public sealed class RateLimitStage : Stage
{
    private static ReadOnlySpan<byte> LimitedBody => "429 Too Many Requests: rate limit exceeded\n"u8;
    private static ReadOnlySpan<byte> UnavailableBody => "503 Service Unavailable: rate limit backend unavailable\n"u8;
    private static ReadOnlySpan<byte> TextPlain => "text/plain; charset=utf-8"u8;

    private readonly RateLimitRule[] _rates;
    private readonly ConcurrencyRule[] _concurrency;
    private readonly bool _consumerLimits;
    private readonly bool _responseHeaders;
    private readonly RateLimitBackends _backends;
    private readonly LocalRateLimitStore _local;
    private readonly RateLimiter _limiter;
    private readonly RateLimitRouteCounter _limited;

    private RateLimitStage(RouteModel route, ConfigModel config, StageServices services)
    {
        _rates = new RateLimitRule[route.RateLimits.Count];
        for (var i = 0; i < _rates.Length; i++)
        {
            var limit = route.RateLimits[i];
            _rates[i] = new RateLimitRule(
                new RateLimitPolicy($"{route.Name}\n{limit.Definition}", limit.Requests, limit.Per),
                new RateLimitKeySelector(limit.Key, limit.HeaderName, route.Name));
        }
        _concurrency = new ConcurrencyRule[route.ConcurrencyLimits.Count];
        for (var i = 0; i < _concurrency.Length; i++)
        {
            var limit = route.ConcurrencyLimits[i];
            _concurrency[i] = new ConcurrencyRule($"{route.Name}\n{limit.Definition}", (int)limit.Max,
                new RateLimitKeySelector(limit.Key, limit.HeaderName, route.Name));
        }
        _consumerLimits = config.ConsumerLimits;
        _responseHeaders = config.RateLimit.ResponseHeaders;
        _backends = services.RateLimits;
        _local = _backends.Local;
        _limiter = new RateLimiter(config.RateLimit, services);
        _limited = services.Metrics.RateLimits.Route(route.Name);
        Phases = _concurrency.Length > 0 ? StagePhases.RequestHead | StagePhases.Complete : StagePhases.RequestHead;
    }

    /// <summary>The stage for <paramref name="route"/>, or null when neither it nor any consumer has a limit.</summary>
    public static RateLimitStage? Create(RouteModel route, ConfigModel config, StageServices services) =>
        route.RateLimits.Count == 0 && route.ConcurrencyLimits.Count == 0 && !config.ConsumerLimits
            ? null
            : new RateLimitStage(route, config, services);

    public override string Name => "rate_limit";

    public override StagePhases Phases { get; }

    /// <summary>One per concurrency limit: the cell whose slot the exchange holds.</summary>
    public override int SlotCount => _concurrency.Length;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        for (var i = 0; i < _concurrency.Length; i++)
        {
            var rule = _concurrency[i];
            if (!_local.TryEnter(rule.Id, rule.Max, rule.Key.Select(exchange), out var cell))
            {
                return new(RefuseConcurrency(exchange));
            }
            exchange.Slots[SlotBase + i] = cell;
            exchange.Values[SlotBase + i] = 1;
        }

        var keys = new RouteRateLimitKeys(_rates, exchange, _consumerLimits ? ConsumerPolicy(exchange) : null);
        if (keys.Count == 0)
        {
            return new(StageOutcome.Continue);
        }
        // Local decisions complete here, synchronously; Redis ones when the script answers.
        var pending = _limiter.TryAcquireAsync(keys);
        return pending.IsCompletedSuccessfully ? new(Apply(exchange, pending.Result)) : ApplyLaterAsync(exchange, pending);
    }

    public override void OnComplete(Exchange exchange)
    {
        var values = exchange.Values;
        var slots = exchange.Slots;
        for (var i = 0; i < _concurrency.Length; i++)
        {
            if (values[SlotBase + i] == 1 && slots[SlotBase + i] is RateLimitCell cell)
            {
                LocalRateLimitStore.Exit(cell);
            }
            values[SlotBase + i] = 0;
            slots[SlotBase + i] = null;
        }
    }

    // One request per nanosecond is the finest a policy keeps; a figure past it is no limit in practice.
    private RateLimitPolicy? ConsumerPolicy(Exchange exchange) =>
        exchange.Consumer?.RequestsPerMinute is long rpm && rpm > 0 ? _backends.ConsumerPolicy(Math.Min(rpm, 60_000_000_000)) : null;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StageOutcome> ApplyLaterAsync(Exchange exchange, ValueTask<RateLimitDecision> pending) =>
        Apply(exchange, await pending.ConfigureAwait(false));

    private StageOutcome Apply(Exchange exchange, RateLimitDecision decision) =>
        decision.Allowed ? Admit(exchange, decision)
        : decision.BackendUnavailable ? exchange.Answer(503, UnavailableBody, TextPlain)
        : Refuse(exchange, decision);

    private StageOutcome Admit(Exchange exchange, RateLimitDecision decision)
    {
        if (_responseHeaders)
        {
            WriteFields(exchange.ResponseHeaders, decision);
        }
        return StageOutcome.Continue;
    }

    private StageOutcome Refuse(Exchange exchange, RateLimitDecision decision)
    {
        _limited.Count();
        var headers = exchange.LocalHeaders;
        SetNumber(headers, "Retry-After"u8, Math.Max(1, RateLimitDecision.CeilSeconds(decision.RetryAfter)));
        WriteFields(headers, decision);
        return exchange.Answer(429, LimitedBody, TextPlain);
    }

    /// <summary>A concurrency refusal has no quota to report; the slots free up as exchanges end, so "1 second" is the honest hint.</summary>
    private StageOutcome RefuseConcurrency(Exchange exchange)
    {
        _limited.Count();
        SetNumber(exchange.LocalHeaders, "Retry-After"u8, 1);
        return exchange.Answer(429, LimitedBody, TextPlain);
    }

    /// <summary>The RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): limit, what is left, seconds until all of it is back.</summary>
    private static void WriteFields(HeaderEdits headers, RateLimitDecision decision)
    {
        SetNumber(headers, "RateLimit-Limit"u8, decision.Limit);
        SetNumber(headers, "RateLimit-Remaining"u8, decision.Remaining);
        SetNumber(headers, "RateLimit-Reset"u8, RateLimitDecision.CeilSeconds(decision.ResetAfter));
    }

    private static void SetNumber(HeaderEdits headers, ReadOnlySpan<byte> name, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var length);
        headers.Set(name, digits[..length]);
    }
}
