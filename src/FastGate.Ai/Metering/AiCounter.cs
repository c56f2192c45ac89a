namespace FastGate.Ai.Metering;

/// <summary>One counter of a labelled series, made once per label combination and then incremented atomically.</summary>
internal sealed class AiCounter
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void Add(long count) => Interlocked.Add(ref _value, count);
}
