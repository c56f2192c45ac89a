namespace FastGate.Ai.Providers;

/// <summary>Where a provider's stream decoder puts what it decoded, in the pivot (OpenAI chat chunk) shape.</summary>
public interface IPivotStreamSink
{
    /// <summary>
    /// One OpenAI <c>chat.completion.chunk</c> object (a usage-only chunk has empty <c>choices</c>
    /// and a <c>usage</c>). <paramref name="outputText"/> is the text the chunk adds (content,
    /// reasoning, tool-call arguments, as the JSON string bytes, escapes left in), for a token
    /// estimate when the provider reports no usage. Spans are valid for the call only.
    /// </summary>
    void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText);

    /// <summary>The provider ended its stream normally (OpenAI <c>[DONE]</c>, Anthropic <c>message_stop</c>, Ollama <c>done</c>, Gemini's last chunk with a finish reason).</summary>
    void Done();

    /// <summary>The provider reported an error inside the stream.</summary>
    void Error(in AiError error);
}
