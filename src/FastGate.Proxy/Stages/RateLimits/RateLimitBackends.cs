using System.Collections.Concurrent;
using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using StackExchange.Redis;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// The counters and connections rate limits keep across reloads, owned by <see cref="StageServices"/>:
/// the local store, and one Redis connection that every snapshot's stages share. The connection is
/// made once and kept while the address stays the same; a reload that names another address
/// connects there and closes the old connection after a grace period, so exchanges still running
/// on the old snapshot finish their round trips. The client reconnects by itself after an outage.
/// </summary>
public sealed class RateLimitBackends : IDisposable
{
    /// <summary>Time the old connection is kept after a reload moved to another Redis.</summary>
    internal static readonly TimeSpan RetireAfter = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private ConnectionMultiplexer? _redis;
    private string? _redisAddress;
    private RedisRateLimitStore? _store;

    private readonly ConcurrentDictionary<long, RateLimitPolicy> _consumerPolicies = new();

    public LocalRateLimitStore Local { get; } = new();

    /// <summary>At most one log line per 10 s about the backend failing, however many requests meet it.</summary>
    public WarningRateLimit BackendWarnings { get; } = new(Stopwatch.Frequency * 10);

    /// <summary>
    /// The policy of a consumer's <c>requests_per_minute</c>: one per distinct figure, shared by every
    /// route, so a consumer's requests count against one limit wherever they go.
    /// </summary>
    public RateLimitPolicy ConsumerPolicy(long requestsPerMinute) =>
        _consumerPolicies.TryGetValue(requestsPerMinute, out var policy)
            ? policy
            : _consumerPolicies.GetOrAdd(requestsPerMinute, static rpm => new RateLimitPolicy($"consumer\n{rpm}/60000ms", rpm, TimeSpan.FromMinutes(1)));

    /// <summary>The Redis store for <paramref name="model"/>, connecting when this address has no connection yet. Never throws on an unreachable server.</summary>
    public RedisRateLimitStore Redis(RateLimitModel model)
    {
        var address = model.Redis ?? throw new InvalidOperationException("[rate_limit] names no redis server");
        lock (_lock)
        {
            if (_redis is null || _redisAddress != address)
            {
                var old = _redis;
                _redis = Connect(address, model.Timeout);
                _redisAddress = address;
                _store = null;
                if (old is not null)
                {
                    _ = Task.Delay(RetireAfter).ContinueWith(static (_, state) => ((ConnectionMultiplexer)state!).Dispose(), old, TaskScheduler.Default);
                }
            }
            if (_store is null || _store.KeyPrefix != model.KeyPrefix || _store.Timeout != model.Timeout)
            {
                _store = new RedisRateLimitStore(_redis, model.KeyPrefix, model.Timeout);
            }
            return _store;
        }
    }

    private static ConnectionMultiplexer Connect(string address, TimeSpan timeout)
    {
        var options = ConfigurationOptions.Parse(address);
        // Start serving even when Redis is down (on_backend_error decides meanwhile), and fail a
        // command at once while disconnected instead of queueing it behind the reconnect.
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        options.ConnectTimeout = Math.Max(ms, 1000);
        options.AsyncTimeout = ms;
        options.SyncTimeout = ms;
        options.ConnectRetry = 1;
        options.ReconnectRetryPolicy = new LinearRetry(500);
        options.ClientName = "fastgate";
        return ConnectionMultiplexer.Connect(options);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _redis?.Dispose();
            _redis = null;
            _store = null;
        }
    }
}
