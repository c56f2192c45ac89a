using StackExchange.Redis;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// Rate counters in one Redis server shared by every FastGate instance, so a limit is global.
/// Each decision is one atomic Lua script (sent as EVALSHA by the client's script cache; it falls
/// back to EVAL once when the server lost the script) that applies GCRA (see <see cref="Gcra"/>) to
/// every limit of the request at once: either all are charged or none, so a request refused by one
/// limit costs nothing on the others. The script reads Redis's own clock (TIME), so instances with
/// skewed clocks still agree, and sets each key to expire when its limit is fully earned back,
/// which keeps Redis's memory bounded like the local sweep. One key per (limit, key hash):
/// <c>PREFIX + limit id + ":" + key hash</c>, both in hex.
/// <para>
/// Failures (no connection, a timeout, a server error) are thrown to the caller, who applies
/// <c>on_backend_error</c>. This path allocates (the client's arrays and tasks); it is the price
/// of a network round trip, and the local store remains the allocation-free path.
/// </para>
/// </summary>
public sealed class RedisRateLimitStore(IConnectionMultiplexer connection, string keyPrefix, TimeSpan timeout)
{
    // KEYS[i]: one counter per limit. ARGV[1]: amount; ARGV[2]: "1" to charge without a check (the
    // reconcile step); then per limit its emission interval and tolerance in microseconds.
    // Returns { allowed (1/0), index of the limit to report (1-based), remaining, reset µs, retry µs }.
    // TIME is allowed in scripts since Redis 5 (effects replication); TATs are whole microseconds
    // written with %.0f, because Lua's tostring keeps 14 digits and a TAT has 16.
    internal const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local amount = tonumber(ARGV[1])
        local force = ARGV[2] == '1'
        local starts, news = {}, {}
        local denied, pick, best = false, 1, nil
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[1 + 2 * i])
          local tolerance = tonumber(ARGV[2 + 2 * i])
          local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
          if tat < now then tat = now end
          starts[i] = tat
          news[i] = math.floor(tat + amount * interval + 0.5)
          local over = news[i] - now - tolerance
          if not force and over > 0 then
            if not denied or over > best then pick = i; best = over end
            denied = true
          end
        end
        if denied then
          local interval = tonumber(ARGV[1 + 2 * pick])
          local tolerance = tonumber(ARGV[2 + 2 * pick])
          local remaining = math.floor((tolerance - (starts[pick] - now)) / interval)
          return { 0, pick, remaining, starts[pick] - now, best }
        end
        local low = nil
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[1 + 2 * i])
          local tolerance = tonumber(ARGV[2 + 2 * i])
          local ahead = news[i] - now
          if ahead > 0 then
            redis.call('SET', KEYS[i], string.format('%.0f', news[i]), 'PX', math.ceil(ahead / 1000) + 1)
          else
            redis.call('DEL', KEYS[i])
          end
          local remaining = math.floor((tolerance - ahead) / interval)
          if low == nil or remaining < low then low = remaining; pick = i end
        end
        return { 1, pick, low, news[pick] - now, 0 }
        """;

    public string KeyPrefix { get; } = keyPrefix;
    public TimeSpan Timeout { get; } = timeout;
    public IConnectionMultiplexer Connection { get; } = connection;

    /// <summary>Admits <paramref name="amount"/> units for one key, or refuses them and changes nothing.</summary>
    public Task<RateLimitDecision> TryAcquireAsync(RateLimitPolicy policy, ulong keyHash, long amount = 1) =>
        TryAcquireAsync([policy], [keyHash], 1, amount);

    /// <summary>
    /// Admits <paramref name="amount"/> units against the first <paramref name="count"/> limits at once,
    /// or none of them. The decision reported is the tightest: the refusing limit that frees up last,
    /// or the admitting one with the least left.
    /// </summary>
    public async Task<RateLimitDecision> TryAcquireAsync(RateLimitPolicy[] policies, ulong[] keyHashes, int count, long amount = 1)
    {
        var result = await RunAsync(policies, keyHashes, count, amount, force: false).ConfigureAwait(false);
        var values = (RedisResult[])result!;
        var pick = (int)values[1] - 1;
        if ((uint)pick >= (uint)count)
        {
            throw new RedisException($"rate-limit script answered limit {pick + 1} of {count}");
        }
        return new RateLimitDecision(
            (long)values[0] == 1,
            policies[pick].Limit,
            (long)values[2],
            FromMicroseconds((long)values[3]),
            FromMicroseconds((long)values[4]));
    }

    /// <summary>Charges (positive) or refunds (negative) <paramref name="delta"/> units without a check: the reconcile step of a reservation.</summary>
    public Task AdjustAsync(RateLimitPolicy policy, ulong keyHash, long delta) =>
        RunAsync([policy], [keyHash], 1, delta, force: true);

    public string Key(RateLimitPolicy policy, ulong keyHash) => $"{KeyPrefix}{policy.IdHex}:{keyHash:x16}";

    private Task<RedisResult> RunAsync(RateLimitPolicy[] policies, ulong[] keyHashes, int count, long amount, bool force)
    {
        var keys = new RedisKey[count];
        var args = new RedisValue[2 + 2 * count];
        args[0] = amount;
        args[1] = force ? "1" : "0";
        for (var i = 0; i < count; i++)
        {
            var policy = policies[i];
            keys[i] = Key(policy, keyHashes[i]);
            args[2 + 2 * i] = policy.IntervalNs / 1000.0;
            args[3 + 2 * i] = policy.ToleranceNs / 1000.0;
        }
        // The client has a timeout of its own, but checks it only on its heartbeat (about once a
        // second); the configured one is meant to be tighter than that.
        return Connection.GetDatabase().ScriptEvaluateAsync(Script, keys, args).WaitAsync(Timeout);
    }

    private static TimeSpan FromMicroseconds(long us) => us <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(us * 10);
}
