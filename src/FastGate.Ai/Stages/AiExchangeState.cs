using System.Collections.Concurrent;
using FastGate.Ai.Models;
using FastGate.Ai.Providers;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Stages;

/// <summary>
/// What the AI stage keeps for one exchange, in its slot: the pivot request, the target tried,
/// the stream's decoder and encoder, the usage so far, and the output text for an estimate. It is
/// also the sink the provider's stream decoder writes to, so a streamed event costs no object.
/// Pooled: taken at the request head, given back after completion; its buffers and codecs are
/// kept for the next exchange.
/// </summary>
public sealed class AiExchangeState : IPivotStreamSink
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<AiExchangeState> s_pool = new();
    private static int s_pooled;

    private readonly ProviderStreamDecoder?[] _decoders = new ProviderStreamDecoder?[8];
    private readonly FrontStreamEncoder?[] _encoders = new FrontStreamEncoder?[8];
    private readonly ProviderAdapter?[] _decoderMakers = new ProviderAdapter?[8];
    private readonly FrontCodec?[] _encoderMakers = new FrontCodec?[8];

    public ClientApi Api;
    /// <summary>What the adapters are asked for (<see cref="AiPaths.Upstream"/>).</summary>
    public ClientApi UpstreamApi;
    public FrontCodec Front = null!;
    public readonly PooledByteBuffer Pivot = new();
    public RequestFacts Facts;
    public ModelEntry? Model;
    /// <summary>The index of the target the current attempt goes to.</summary>
    public int Target;
    public int Attempts;
    /// <summary>When no further attempt may start (Stopwatch ticks).</summary>
    public long DeadlineTicks;
    public AiResponseMode Mode;
    public TokenUsage Usage;
    /// <summary>The stream reached its provider's normal end.</summary>
    public bool StreamDone;
    /// <summary>The stream or the answer failed (garbage, a provider error); the client was told.</summary>
    public bool Failed;
    public bool Recorded;
    public bool Draining;
    /// <summary>The status the record gives when it differs from what the client got (502 for garbage under a 200).</summary>
    public int RecordStatus;
    /// <summary>Text the answer added (content, reasoning, tool arguments), for an estimate when no usage came.</summary>
    public readonly PooledByteBuffer OutputText = new();
    /// <summary>
    /// Passed-through chunks kept whole instead of read (<see cref="AiStage"/>'s fast path), up to a
    /// bound; their text is only read if the stream ends without a usage.
    /// </summary>
    public readonly PooledByteBuffer UnreadChunks = new();
    /// <summary>Bytes of chunks taken whole in the current read, kept into <see cref="UnreadChunks"/> at its end unless usage came.</summary>
    public int UnreadChunksDue;
    /// <summary>The exchange's request id, copied for the usage record (which takes it as bytes, not a string).</summary>
    public readonly byte[] RequestId = new byte[FastGate.Proxy.Forwarding.Exchange.RequestIdLength];
    /// <summary>A translated answer's pivot, or a local answer's body.</summary>
    public readonly PooledByteBuffer Scratch = new();
    public ProviderStreamDecoder? Decoder;
    public FrontStreamEncoder? Encoder;
    /// <summary>Where the sink writes the client's events during one call.</summary>
    public PooledByteBuffer? Output;

    public ModelTarget CurrentTarget => Model!.Targets[Target];

    public static AiExchangeState Rent()
    {
        if (s_pool.TryDequeue(out var state))
        {
            Interlocked.Decrement(ref s_pooled);
            return state;
        }
        return new AiExchangeState();
    }

    public void Return()
    {
        Reset();
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
            Pivot.Release();
            OutputText.Release();
            UnreadChunks.Release();
            Scratch.Release();
        }
    }

    private void Reset()
    {
        Pivot.Clear();
        OutputText.Clear();
        UnreadChunks.Clear();
        UnreadChunksDue = 0;
        Scratch.Clear();
        Facts = default;
        Model = null;
        Target = 0;
        Attempts = 0;
        DeadlineTicks = 0;
        Mode = AiResponseMode.None;
        Usage = default;
        StreamDone = Failed = Recorded = Draining = false;
        RecordStatus = 0;
        Decoder = null;
        Encoder = null;
        Output = null;
        Front = null!;
    }

    /// <summary>
    /// This exchange's decoder for <paramref name="adapter"/>'s kind, made once per state and reused
    /// while the same adapter asks (pooled states are shared by every registry in the process).
    /// </summary>
    public ProviderStreamDecoder DecoderFor(ProviderAdapter adapter)
    {
        var kind = (int)adapter.Kind;
        if (_decoders[kind] is { } decoder && ReferenceEquals(_decoderMakers[kind], adapter))
        {
            return decoder;
        }
        _decoderMakers[kind] = adapter;
        return _decoders[kind] = adapter.NewStreamDecoder();
    }

    /// <summary>This exchange's encoder for <paramref name="front"/>'s API, as <see cref="DecoderFor"/>.</summary>
    public FrontStreamEncoder EncoderFor(FrontCodec front)
    {
        var api = (int)front.Api;
        if (_encoders[api] is { } encoder && ReferenceEquals(_encoderMakers[api], front))
        {
            return encoder;
        }
        _encoderMakers[api] = front;
        return _encoders[api] = front.NewStreamEncoder();
    }

    public string ModelAsked => Facts.ModelLength == 0
        ? ""
        : Model is { } entry && ModelAskedUtf8.SequenceEqual(entry.NameUtf8)
            ? entry.Model.Name // an exact [[model]] name: no string made per request
            : System.Text.Encoding.UTF8.GetString(ModelAskedUtf8);

    public ReadOnlySpan<byte> ModelAskedUtf8 => Pivot.WrittenSpan.Slice(Facts.ModelStart, Facts.ModelLength);

    // ---- IPivotStreamSink: the decoder's output, encoded for the client as it comes ----

    public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
    {
        OutputText.Write(outputText);
        if (Mode != AiResponseMode.SsePassThrough && !Failed && Output is { } output)
        {
            Encoder!.Chunk(pivotChunk, Usage, output);
        }
    }

    public void Done()
    {
        if (StreamDone || Failed)
        {
            return;
        }
        StreamDone = true;
        if (Mode != AiResponseMode.SsePassThrough && Output is { } output)
        {
            Encoder!.Done(Usage, output);
        }
    }

    public void Error(in AiError error)
    {
        if (Failed || StreamDone)
        {
            return;
        }
        Failed = true;
        // Passed through, the provider's own error event reaches the client as it is.
        if (Mode != AiResponseMode.SsePassThrough && Output is { } output)
        {
            Encoder!.Error(error, output);
        }
    }
}
