namespace FastGate.Ai.Providers;

/// <summary>
/// Tokens of one exchange. <see cref="Input"/> counts every input token, cached ones included
/// (<see cref="CachedInput"/> is the part read from the provider's cache, <see cref="CacheWriteInput"/>
/// the part written to it); <see cref="Output"/> counts every output token, reasoning included
/// (<see cref="Reasoning"/> is the hidden part). <see cref="Reported"/> is true when the provider
/// reported the figures; false when they are a tokenizer's estimate.
/// </summary>
public struct TokenUsage
{
    public long Input;
    public long Output;
    public long CachedInput;
    public long CacheWriteInput;
    public long Reasoning;
    public bool Reported;
}
