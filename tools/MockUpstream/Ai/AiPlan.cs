using System.Buffers;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// One answer decided from the request and the model's options, before any provider shape is
/// written: how many output tokens (each one stream delta), whether it is a tool call, and the
/// usage it reports.
/// </summary>
internal sealed class AiPlan
{
    /// <summary>The arguments of the one tool call, <c>{"city":"Paris"}</c>, in the pieces a stream sends them in.</summary>
    public static readonly string[] ToolArgumentPieces = ["{\"", "city", "\":\"", "Paris", "\"}"];
    public const string ToolArguments = "{\"city\":\"Paris\"}";
    public const string ToolName = "get_weather";

    public AiPlan(AiRequest request, MockModel model, string modelName, string id)
    {
        Request = request;
        Model = model;
        ModelName = modelName;
        Id = id;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Tools = model.Tools;
        var visible = model.Tokens;
        if (request.MaxTokens > 0 && request.MaxTokens < visible)
        {
            visible = request.MaxTokens;
            Capped = true;
        }
        VisibleTokens = Tools ? 0 : visible;
        // Several candidates (Gemini's candidateCount) each spend the output of one; the prompt is read once.
        Candidates = request.Candidates;
        var output = ((Tools ? ToolArgumentPieces.Length : VisibleTokens) + model.Reasoning) * Candidates;
        Usage = new ServedUsage(request.InputWords, output, Math.Min(model.Cached, request.InputWords), model.Reasoning * Candidates);
    }

    public AiRequest Request { get; }
    public MockModel Model { get; }
    /// <summary>The model as the upstream request named it (options included), echoed in answers.</summary>
    public string ModelName { get; }
    public string Id { get; }
    public long Created { get; }
    public bool Tools { get; }
    public int VisibleTokens { get; }
    /// <summary>How many answers the request asked for; candidate k says <see cref="Word"/>(k) for each token.</summary>
    public int Candidates { get; }
    /// <summary>max_tokens (or the provider's name for it) stopped the answer before tokens-N.</summary>
    public bool Capped { get; }
    public ServedUsage Usage { get; }
    public bool ReportsUsage => !Model.NoUsage;

    /// <summary>"tok tok tok ...": the whole text of a non-streamed answer (of its first candidate).</summary>
    public string Text()
    {
        if (VisibleTokens == 0)
        {
            return "";
        }
        return string.Create(VisibleTokens * 4 - 1, 0, static (span, _) =>
        {
            "tok".AsSpan().CopyTo(span);
            for (var i = 3; i < span.Length; i += 4)
            {
                " tok".AsSpan().CopyTo(span[i..]);
            }
        });
    }

    /// <summary>The token word of candidate <paramref name="candidate"/>: "tok", then "tok1", "tok2", ... so tests tell the answers apart.</summary>
    public static string Word(int candidate) => candidate == 0 ? "tok" : "tok" + candidate;
}

/// <summary>
/// A provider's stream for one answer: the events before the first token, one event per output
/// token (or tool-call piece), and the events that end it. Built once per request, so the
/// events of every token are bytes prepared up front and the loop that paces them allocates
/// nothing.
/// </summary>
internal abstract class AiStreamShape
{
    public abstract string ContentType { get; }
    /// <summary>How many token events <see cref="WriteToken"/> writes (a cut stops after half).</summary>
    public abstract int Count { get; }
    public abstract void WriteHead(IBufferWriter<byte> output);
    public abstract void WriteToken(IBufferWriter<byte> output, int index);
    public abstract void WriteTail(IBufferWriter<byte> output);
    /// <summary>An event in the stream's framing whose payload is not JSON.</summary>
    public abstract void WriteGarbage(IBufferWriter<byte> output);
}
