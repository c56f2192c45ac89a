using System.Collections.Concurrent;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// What the mock providers served, for a test to compare with what a gateway metered: the
/// totals and one set per kind of endpoint (<c>openai.chat</c>, <c>gemini.embed</c>, ...).
/// Atomics only; any request thread may count, any may read.
/// </summary>
internal sealed class AiCounters
{
    private readonly ConcurrentDictionary<string, Set> _byKind = new(StringComparer.Ordinal);
    private Set _total = new();

    /// <summary>A request arrived (whatever followed: an error, a cut, garbage).</summary>
    public void CountRequest(string kind)
    {
        Interlocked.Increment(ref Volatile.Read(ref _total).Requests);
        Interlocked.Increment(ref Kind(kind).Requests);
    }

    /// <summary>A response was written to its end; the usage it reported (or would have, under nousage).</summary>
    public void CountCompleted(string kind, in ServedUsage usage, bool inTotals = true)
    {
        if (inTotals)
        {
            Volatile.Read(ref _total).Add(usage);
        }
        Kind(kind).Add(usage);
    }

    public void Reset()
    {
        Volatile.Write(ref _total, new Set());
        _byKind.Clear();
    }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        Volatile.Read(ref _total).WriteFields(json);
        json.WriteStartObject("kinds");
        foreach (var (kind, set) in _byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(kind);
            set.WriteFields(json);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private Set Kind(string kind) => _byKind.GetOrAdd(kind, static _ => new Set());

    private sealed class Set
    {
        public long Requests;
        public long Completed;
        public long InputTokens;
        public long OutputTokens;
        public long CachedTokens;
        public long ReasoningTokens;

        public void Add(in ServedUsage usage)
        {
            Interlocked.Add(ref InputTokens, usage.Input);
            Interlocked.Add(ref OutputTokens, usage.Output);
            Interlocked.Add(ref CachedTokens, usage.Cached);
            Interlocked.Add(ref ReasoningTokens, usage.Reasoning);
            Interlocked.Increment(ref Completed);
        }

        public void WriteFields(Utf8JsonWriter json)
        {
            json.WriteNumber("requests", Interlocked.Read(ref Requests));
            json.WriteNumber("completed", Interlocked.Read(ref Completed));
            json.WriteNumber("input_tokens", Interlocked.Read(ref InputTokens));
            json.WriteNumber("output_tokens", Interlocked.Read(ref OutputTokens));
            json.WriteNumber("cached_tokens", Interlocked.Read(ref CachedTokens));
            json.WriteNumber("reasoning_tokens", Interlocked.Read(ref ReasoningTokens));
        }
    }
}

/// <summary>Tokens of one response: Input counts cached ones, Output counts reasoning ones.</summary>
internal readonly record struct ServedUsage(int Input, int Output, int Cached, int Reasoning);
