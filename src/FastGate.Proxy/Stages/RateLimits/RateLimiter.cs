using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// What a stage asks for a decision: the <c>[rate_limit]</c> backend of its snapshot, with
/// <c>on_backend_error</c> applied. <see cref="TryAcquireAsync{TKeys}"/> reserves an amount against
/// several limits at once (all or none) and <see cref="AdjustAsync"/> reconciles it later, on
/// the same backend: request limits charge 1; token limits reserve an estimate at admission and
/// adjust by the difference at completion, so concurrent requests cannot overshoot by "checking,
/// then charging".
/// <para>
/// Local: decided on the calling thread, synchronously, allocating nothing. Redis: one script per
/// decision, completing when Redis answers; an error or a timeout is counted
/// (<c>fastgate_rate_limit_backend_errors_total</c>), logged at most every 10 s, and then decided on
/// the local counters or answered with <see cref="RateLimitDecision.BackendUnavailable"/>.
/// </para>
/// Built per snapshot (cheap: the stores and the connection live in <see cref="RateLimitBackends"/>).
/// </summary>
public sealed class RateLimiter
{
    private readonly RateLimitBackends _backends;
    private readonly LocalRateLimitStore _local;
    private readonly RedisRateLimitStore? _redis;
    private readonly RateLimitErrorAction _onBackendError;
    private readonly RateLimitMetrics _metrics;
    private readonly GatewayLog _log;

    public RateLimiter(RateLimitModel model, StageServices services)
    {
        _backends = services.RateLimits;
        _local = _backends.Local;
        _redis = model.Backend == RateLimitBackendKind.Redis ? _backends.Redis(model) : null;
        _onBackendError = model.OnBackendError;
        _metrics = services.Metrics.RateLimits;
        _log = services.Log;
    }

    /// <summary>True when decisions go to Redis (and complete asynchronously).</summary>
    public bool IsShared => _redis is not null;

    /// <summary>
    /// Charges <paramref name="amount"/> to every limit of <paramref name="keys"/>, or to none when
    /// one refuses. The decision reported is the tightest (see <see cref="RateLimitDecision.IsTighterThan"/>).
    /// </summary>
    public ValueTask<RateLimitDecision> TryAcquireAsync<TKeys>(TKeys keys, long amount = 1) where TKeys : struct, IRateLimitKeys =>
        _redis is null ? new(TryAcquireLocal(keys, amount)) : TryAcquireSharedAsync(keys, amount);

    /// <summary>Charges (positive) or refunds (negative) <paramref name="delta"/> without a check; a backend error is counted and the local counters take it.</summary>
    public ValueTask AdjustAsync(RateLimitPolicy policy, ulong key, long delta)
    {
        if (_redis is null)
        {
            _local.Adjust(policy, key, delta);
            return ValueTask.CompletedTask;
        }
        return AdjustSharedAsync(policy, key, delta);
    }

    /// <summary>All or none on the local store: a refusal refunds the limits charged before it.</summary>
    private RateLimitDecision TryAcquireLocal<TKeys>(in TKeys keys, long amount) where TKeys : struct, IRateLimitKeys
    {
        RateLimitDecision report = default;
        for (var i = 0; i < keys.Count; i++)
        {
            var decision = _local.TryAcquire(keys.Policy(i), keys.Key(i), amount);
            if (!decision.Allowed)
            {
                for (var j = 0; j < i; j++)
                {
                    _local.Adjust(keys.Policy(j), keys.Key(j), -amount);
                }
                return decision;
            }
            if (i == 0 || decision.IsTighterThan(report))
            {
                report = decision;
            }
        }
        return report;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RateLimitDecision> TryAcquireSharedAsync<TKeys>(TKeys keys, long amount) where TKeys : struct, IRateLimitKeys
    {
        var count = keys.Count;
        var policies = new RateLimitPolicy[count];
        var hashes = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            policies[i] = keys.Policy(i);
            hashes[i] = keys.Key(i);
        }
        try
        {
            return await _redis!.TryAcquireAsync(policies, hashes, count, amount).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BackendFailed(ex);
            return _onBackendError == RateLimitErrorAction.Deny
                ? RateLimitDecision.Unavailable(policies[0].Limit)
                : TryAcquireLocal(keys, amount);
        }
    }

    private async ValueTask AdjustSharedAsync(RateLimitPolicy policy, ulong key, long delta)
    {
        try
        {
            await _redis!.AdjustAsync(policy, key, delta).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BackendFailed(ex);
            _local.Adjust(policy, key, delta);
        }
    }

    private void BackendFailed(Exception ex)
    {
        _metrics.BackendError();
        if (_backends.BackendWarnings.TryAcquire(Stopwatch.GetTimestamp(), out var suppressed))
        {
            var also = suppressed > 0 ? $" ({suppressed} more since the last line)" : "";
            var action = _onBackendError == RateLimitErrorAction.Deny ? "answering 503" : "deciding on local counters";
            _log.Warn($"rate limit backend error: {ex.GetType().Name}: {ex.Message}; {action}{also}");
        }
    }
}
