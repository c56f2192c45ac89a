using System.Buffers;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace FastGate.Ai.Metering;

/// <summary>
/// Token counts from OpenAI's tiktoken encodings (Microsoft.ML.Tokenizers with the O200kBase and
/// Cl100kBase data packages), for exchanges whose provider reported no usage. o200k_base for
/// gpt-4o, gpt-4.1, gpt-4.5, gpt-5, the o-series and any model it does not know; cl100k_base for
/// gpt-4, gpt-3.5 and the older embeddings. Other vendors' models have tokenizers of their own,
/// so their counts are estimates in the plain sense. Each encoding is loaded on first use (its
/// data is a few MB) and shared by every instance. The encodings come from
/// <see cref="TiktokenTokenizer.CreateForEncoding"/>, which finds the data assembly through a
/// constant type name the trimmer and NativeAOT resolve, so no trim or AOT warning arises.
/// </summary>
public sealed class TiktokenEstimator : ITokenEstimator
{
    /// <summary>Tokens OpenAI's chat format adds around every message (its role and separators), as in OpenAI's token-counting guide.</summary>
    public const int TokensPerMessage = 3;
    /// <summary>Tokens of the reply priming (<c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>) every prompt ends with.</summary>
    public const int TokensForReply = 3;
    /// <summary>A message's <c>name</c> costs one token on top of its text.</summary>
    public const int TokensPerName = 1;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    public long CountText(ReadOnlySpan<byte> utf8Text, string model) => Count(For(model), utf8Text);

    /// <summary>
    /// Counts, per message, <see cref="TokensPerMessage"/> and the text of its role, content
    /// (a string, or the text parts of an array: images and other parts are not counted), name
    /// (plus <see cref="TokensPerName"/>) and tool calls (each function's name and arguments),
    /// then <see cref="TokensForReply"/>. Tool definitions are not counted: the provider renders
    /// them in a format of its own. A body that is not JSON counts as its raw text.
    /// </summary>
    public long CountPrompt(ReadOnlySpan<byte> pivotRequest, string model)
    {
        var tokenizer = For(model);
        try
        {
            var reader = new Utf8JsonReader(pivotRequest);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Count(tokenizer, pivotRequest);
            }
            long tokens = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessages = reader.ValueTextEquals("messages"u8);
                reader.Read();
                if (isMessages && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        tokens += CountMessage(tokenizer, ref reader);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            return tokens + TokensForReply;
        }
        catch (JsonException)
        {
            return Count(tokenizer, pivotRequest);
        }
    }

    private static long CountMessage(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }
        long tokens = TokensPerMessage;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.ValueSpan;
            reader.Read();
            if (property.SequenceEqual("role"u8) && reader.TokenType == JsonTokenType.String)
            {
                tokens += Count(tokenizer, reader.ValueSpan);
            }
            else if (property.SequenceEqual("name"u8) && reader.TokenType == JsonTokenType.String)
            {
                tokens += Count(tokenizer, reader.ValueSpan) + TokensPerName;
            }
            else if (property.SequenceEqual("content"u8))
            {
                tokens += CountContent(tokenizer, ref reader);
            }
            else if (property.SequenceEqual("tool_calls"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                tokens += CountToolCalls(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
        return tokens;
    }

    private static long CountContent(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return Count(tokenizer, reader.ValueSpan);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }
        long tokens = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (isText && reader.TokenType == JsonTokenType.String)
                {
                    tokens += Count(tokenizer, reader.ValueSpan);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        return tokens;
    }

    private static long CountToolCalls(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        long tokens = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFunction = reader.ValueTextEquals("function"u8);
                reader.Read();
                if (!isFunction || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isCounted = reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("arguments"u8);
                    reader.Read();
                    if (isCounted && reader.TokenType == JsonTokenType.String)
                    {
                        tokens += Count(tokenizer, reader.ValueSpan);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        return tokens;
    }

    private static long Count(Tokenizer tokenizer, ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return 0;
        }
        var buffer = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            var length = JsonStringText.Decode(utf8, buffer);
            return tokenizer.CountTokens(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>The encoding OpenAI uses for <paramref name="model"/>; o200k_base for names it does not know.</summary>
    public static string EncodingName(string model)
    {
        var name = model.AsSpan();
        var slash = name.LastIndexOf('/');
        if (slash >= 0)
        {
            name = name[(slash + 1)..];
        }
        if (name.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase) || name.StartsWith("gpt-4.", StringComparison.OrdinalIgnoreCase))
        {
            return "o200k_base";
        }
        if (name.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase) || name.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("gpt-35", StringComparison.OrdinalIgnoreCase) || name.StartsWith("text-embedding-ada-002", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("text-embedding-3", StringComparison.OrdinalIgnoreCase))
        {
            return "cl100k_base";
        }
        return "o200k_base";
    }

    private static Tokenizer For(string model) => EncodingName(model ?? "") == "cl100k_base" ? Cl100k.Value : O200k.Value;
}
