using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// OpenAI Chat Completions, Embeddings, Responses and Models, as api.openai.com answers them;
/// with <c>azure</c>, the same bodies behind Azure's deployment paths and its <c>api-key</c> header.
/// </summary>
internal sealed class OpenAiProvider(bool azure) : AiProvider, IEmbeddingProvider
{
    public override string Name => azure ? "azure" : "openai";

    public override bool Authorized(HttpRequest request, out string problem)
    {
        if (azure)
        {
            problem = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
            return request.Headers["api-key"].ToString().Length > 0 || HasBearer(request);
        }
        problem = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.";
        return HasBearer(request);
    }

    public override byte[] Error(int status, string message)
    {
        var (type, code) = status switch
        {
            429 => ("requests", "rate_limit_exceeded"),
            401 => ("invalid_request_error", "invalid_api_key"),
            404 => ("invalid_request_error", "model_not_found"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", (string?)null),
        };
        return AiJson.Object(j =>
        {
            j.WriteStartObject("error");
            j.WriteString("message", message);
            j.WriteString("type", type);
            j.WriteNull("param");
            if (code is null)
            {
                j.WriteNull("code");
            }
            else
            {
                j.WriteString("code", code);
            }
            j.WriteEndObject();
        });
    }

    public byte[] Models() => AiJson.Object(j =>
    {
        j.WriteString("object", "list");
        j.WriteStartArray("data");
        foreach (var id in (ReadOnlySpan<string>)["mock-model", "mock-embedding"])
        {
            j.WriteStartObject();
            j.WriteString("id", id);
            j.WriteString("object", "model");
            j.WriteNumber("created", 1_700_000_000);
            j.WriteString("owned_by", "mock");
            j.WriteEndObject();
        }
        j.WriteEndArray();
    });

    private static string FinishReason(AiPlan plan) => plan.Tools ? "tool_calls" : plan.Capped ? "length" : "stop";

    public static void WriteUsage(Utf8JsonWriter j, ServedUsage u)
    {
        j.WriteStartObject("usage");
        j.WriteNumber("prompt_tokens", u.Input);
        j.WriteNumber("completion_tokens", u.Output);
        j.WriteNumber("total_tokens", u.Input + u.Output);
        j.WriteStartObject("prompt_tokens_details");
        j.WriteNumber("cached_tokens", u.Cached);
        j.WriteNumber("audio_tokens", 0);
        j.WriteEndObject();
        j.WriteStartObject("completion_tokens_details");
        j.WriteNumber("reasoning_tokens", u.Reasoning);
        j.WriteNumber("audio_tokens", 0);
        j.WriteNumber("accepted_prediction_tokens", 0);
        j.WriteNumber("rejected_prediction_tokens", 0);
        j.WriteEndObject();
        j.WriteEndObject();
    }

    private static void WriteToolCall(Utf8JsonWriter j, AiPlan plan, string arguments, bool streamed)
    {
        j.WriteStartArray("tool_calls");
        j.WriteStartObject();
        if (streamed)
        {
            j.WriteNumber("index", 0);
        }
        j.WriteString("id", "call_" + plan.Id);
        j.WriteString("type", "function");
        j.WriteStartObject("function");
        j.WriteString("name", AiPlan.ToolName);
        j.WriteString("arguments", arguments);
        j.WriteEndObject();
        j.WriteEndObject();
        j.WriteEndArray();
    }

    public override byte[] Answer(AiPlan plan) => AiJson.Object(j =>
    {
        j.WriteString("id", "chatcmpl-" + plan.Id);
        j.WriteString("object", "chat.completion");
        j.WriteNumber("created", plan.Created);
        j.WriteString("model", plan.ModelName);
        j.WriteStartArray("choices");
        j.WriteStartObject();
        j.WriteNumber("index", 0);
        j.WriteStartObject("message");
        j.WriteString("role", "assistant");
        if (plan.Tools)
        {
            j.WriteNull("content");
            WriteToolCall(j, plan, AiPlan.ToolArguments, streamed: false);
        }
        else
        {
            j.WriteString("content", plan.Text());
        }
        j.WriteNull("refusal");
        j.WriteStartArray("annotations");
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteNull("logprobs");
        j.WriteString("finish_reason", FinishReason(plan));
        j.WriteEndObject();
        j.WriteEndArray();
        if (plan.ReportsUsage)
        {
            WriteUsage(j, plan.Usage);
        }
        j.WriteString("service_tier", "default");
        j.WriteString("system_fingerprint", "fp_mock");
    });

    public override AiStreamShape Stream(AiPlan plan) => new ChatStream(plan);

    /// <summary>
    /// chat.completion.chunk events: a role chunk, one content (or tool-argument) delta per token,
    /// a finish chunk, the usage chunk (empty choices) only when stream_options.include_usage
    /// asked for it, and <c>data: [DONE]</c>. Asked for usage, every chunk carries
    /// <c>"usage":null</c> as the real API does.
    /// </summary>
    private sealed class ChatStream : AiStreamShape
    {
        private readonly AiPlan _plan;
        private readonly byte[] _head;
        private readonly byte[] _first;
        private readonly byte[] _later;
        private readonly byte[][] _pieces;
        private readonly byte[] _tail;

        public ChatStream(AiPlan plan)
        {
            _plan = plan;
            var usage = plan.Request.IncludeUsage;
            _head = Chunk(plan, usage, j =>
            {
                j.WriteString("role", "assistant");
                if (plan.Tools)
                {
                    j.WriteNull("content");
                    WriteToolCall(j, plan, "", streamed: true);
                }
                else
                {
                    j.WriteString("content", "");
                }
                j.WriteNull("refusal");
            }, null);
            _first = Chunk(plan, usage, j => j.WriteString("content", "tok"), null);
            _later = Chunk(plan, usage, j => j.WriteString("content", " tok"), null);
            _pieces = plan.Tools
                ? [.. AiPlan.ToolArgumentPieces.Select(p => Chunk(plan, usage, j =>
                {
                    j.WriteStartArray("tool_calls");
                    j.WriteStartObject();
                    j.WriteNumber("index", 0);
                    j.WriteStartObject("function");
                    j.WriteString("arguments", p);
                    j.WriteEndObject();
                    j.WriteEndObject();
                    j.WriteEndArray();
                }, null))]
                : [];
            var tail = new ArrayBufferWriter<byte>(1024);
            tail.Write(Chunk(plan, usage, _ => { }, FinishReason(plan)));
            if (usage && plan.ReportsUsage)
            {
                tail.Write(AiJson.Sse(null, AiJson.Object(j =>
                {
                    Envelope(j, plan);
                    j.WriteStartArray("choices");
                    j.WriteEndArray();
                    WriteUsage(j, plan.Usage);
                })));
            }
            tail.Write("data: [DONE]\n\n"u8);
            _tail = tail.WrittenSpan.ToArray();
        }

        public override string ContentType => "text/event-stream; charset=utf-8";
        public override int Count => _plan.Tools ? _pieces.Length : _plan.VisibleTokens;
        public override void WriteHead(IBufferWriter<byte> output) => output.Write(_head);
        public override void WriteToken(IBufferWriter<byte> output, int index) =>
            output.Write(_plan.Tools ? _pieces[index] : index == 0 ? _first : _later);
        public override void WriteTail(IBufferWriter<byte> output) => output.Write(_tail);
        public override void WriteGarbage(IBufferWriter<byte> output) => output.Write("data: {\"id\": chatcmpl-garbage, not json\n\n"u8);

        private static void Envelope(Utf8JsonWriter j, AiPlan plan)
        {
            j.WriteString("id", "chatcmpl-" + plan.Id);
            j.WriteString("object", "chat.completion.chunk");
            j.WriteNumber("created", plan.Created);
            j.WriteString("model", plan.ModelName);
            j.WriteString("service_tier", "default");
            j.WriteString("system_fingerprint", "fp_mock");
        }

        private static byte[] Chunk(AiPlan plan, bool usageNull, Action<Utf8JsonWriter> delta, string? finish) =>
            AiJson.Sse(null, AiJson.Object(j =>
            {
                Envelope(j, plan);
                j.WriteStartArray("choices");
                j.WriteStartObject();
                j.WriteNumber("index", 0);
                j.WriteStartObject("delta");
                delta(j);
                j.WriteEndObject();
                j.WriteNull("logprobs");
                if (finish is null)
                {
                    j.WriteNull("finish_reason");
                }
                else
                {
                    j.WriteString("finish_reason", finish);
                }
                j.WriteEndObject();
                j.WriteEndArray();
                if (usageNull)
                {
                    j.WriteNull("usage");
                }
            }));
    }

    /// <summary>One embedding per input, floats or (encoding_format "base64", the SDK's default) little-endian float32 bytes.</summary>
    public byte[] Embeddings(AiPlan plan) => AiJson.Object(j =>
    {
        j.WriteString("object", "list");
        j.WriteStartArray("data");
        var inputs = plan.Request.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            j.WriteStartObject();
            j.WriteString("object", "embedding");
            j.WriteNumber("index", i);
            var vector = AiJson.Vector(inputs[i]);
            if (plan.Request.EncodingFormat == "base64")
            {
                j.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
            }
            else
            {
                AiJson.WriteFloats(j, "embedding", vector);
            }
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteString("model", plan.ModelName);
        if (plan.ReportsUsage)
        {
            j.WriteStartObject("usage");
            j.WriteNumber("prompt_tokens", plan.Request.InputWords);
            j.WriteNumber("total_tokens", plan.Request.InputWords);
            j.WriteEndObject();
        }
    });

    // ---------------------------------------------------------------- Responses

    public byte[] ResponsesAnswer(AiPlan plan) => AiJson.Object(j => WriteResponse(j, plan, completed: true));

    private static void WriteResponseUsage(Utf8JsonWriter j, ServedUsage u)
    {
        j.WriteStartObject("usage");
        j.WriteNumber("input_tokens", u.Input);
        j.WriteStartObject("input_tokens_details");
        j.WriteNumber("cached_tokens", u.Cached);
        j.WriteEndObject();
        j.WriteNumber("output_tokens", u.Output);
        j.WriteStartObject("output_tokens_details");
        j.WriteNumber("reasoning_tokens", u.Reasoning);
        j.WriteEndObject();
        j.WriteNumber("total_tokens", u.Input + u.Output);
        j.WriteEndObject();
    }

    private static void WriteOutputItem(Utf8JsonWriter j, AiPlan plan, bool done)
    {
        j.WriteStartObject();
        if (plan.Tools)
        {
            j.WriteString("type", "function_call");
            j.WriteString("id", "fc_" + plan.Id);
            j.WriteString("call_id", "call_" + plan.Id);
            j.WriteString("name", AiPlan.ToolName);
            j.WriteString("arguments", done ? AiPlan.ToolArguments : "");
            j.WriteString("status", done ? "completed" : "in_progress");
        }
        else
        {
            j.WriteString("type", "message");
            j.WriteString("id", "msg_" + plan.Id);
            j.WriteString("status", done ? "completed" : "in_progress");
            j.WriteString("role", "assistant");
            j.WriteStartArray("content");
            if (done)
            {
                WriteTextPart(j, plan.Text());
            }
            j.WriteEndArray();
        }
        j.WriteEndObject();
    }

    private static void WriteTextPart(Utf8JsonWriter j, string text)
    {
        j.WriteStartObject();
        j.WriteString("type", "output_text");
        j.WriteString("text", text);
        j.WriteStartArray("annotations");
        j.WriteEndArray();
        j.WriteEndObject();
    }

    private static void WriteResponse(Utf8JsonWriter j, AiPlan plan, bool completed)
    {
        j.WriteString("id", "resp_" + plan.Id);
        j.WriteString("object", "response");
        j.WriteNumber("created_at", plan.Created);
        j.WriteString("status", completed ? (plan.Capped ? "incomplete" : "completed") : "in_progress");
        j.WriteNull("error");
        if (completed && plan.Capped)
        {
            j.WriteStartObject("incomplete_details");
            j.WriteString("reason", "max_output_tokens");
            j.WriteEndObject();
        }
        else
        {
            j.WriteNull("incomplete_details");
        }
        j.WriteNull("instructions");
        if (plan.Request.MaxTokens > 0)
        {
            j.WriteNumber("max_output_tokens", plan.Request.MaxTokens);
        }
        else
        {
            j.WriteNull("max_output_tokens");
        }
        j.WriteString("model", plan.ModelName);
        j.WriteStartArray("output");
        if (completed)
        {
            WriteOutputItem(j, plan, done: true);
        }
        j.WriteEndArray();
        j.WriteBoolean("parallel_tool_calls", true);
        j.WriteNull("previous_response_id");
        j.WriteNumber("temperature", 1.0);
        j.WriteString("tool_choice", "auto");
        j.WriteStartArray("tools");
        j.WriteEndArray();
        j.WriteNumber("top_p", 1.0);
        j.WriteStartObject("text");
        j.WriteStartObject("format");
        j.WriteString("type", "text");
        j.WriteEndObject();
        j.WriteEndObject();
        j.WriteString("truncation", "disabled");
        if (completed && plan.ReportsUsage)
        {
            WriteResponseUsage(j, plan.Usage);
        }
        else
        {
            j.WriteNull("usage");
        }
        j.WriteStartObject("metadata");
        j.WriteEndObject();
    }

    public AiStreamShape ResponsesStream(AiPlan plan) => new ResponsesStreamShape(plan);

    /// <summary>
    /// Responses API events (<c>event: TYPE</c> + <c>data:</c> with <c>type</c> and
    /// <c>sequence_number</c>): response.created, response.in_progress, output_item.added,
    /// content_part.added, one output_text.delta (or function_call_arguments.delta) per token,
    /// the .done events and response.completed with the usage.
    /// </summary>
    private sealed class ResponsesStreamShape : AiStreamShape
    {
        private readonly AiPlan _plan;
        private readonly byte[] _head;
        private readonly byte[] _deltaPrefix;
        private readonly byte[] _firstSuffix;
        private readonly byte[] _laterSuffix;
        private readonly byte[][] _pieceSuffixes;
        private readonly AiPlan _p;
        private int _sequence;

        public ResponsesStreamShape(AiPlan plan)
        {
            _plan = _p = plan;
            var head = new ArrayBufferWriter<byte>(2048);
            head.Write(Event("response.created", j => { j.WriteStartObject("response"); WriteResponse(j, plan, false); j.WriteEndObject(); }));
            head.Write(Event("response.in_progress", j => { j.WriteStartObject("response"); WriteResponse(j, plan, false); j.WriteEndObject(); }));
            head.Write(Event("response.output_item.added", j =>
            {
                j.WriteNumber("output_index", 0);
                j.WritePropertyName("item");
                WriteOutputItem(j, plan, done: false);
            }));
            if (!plan.Tools)
            {
                head.Write(Event("response.content_part.added", j =>
                {
                    j.WriteString("item_id", "msg_" + plan.Id);
                    j.WriteNumber("output_index", 0);
                    j.WriteNumber("content_index", 0);
                    j.WritePropertyName("part");
                    WriteTextPart(j, "");
                }));
            }
            _head = head.WrittenSpan.ToArray();
            // A delta event is prefix + sequence number + suffix: the number is the one part that changes.
            var type = plan.Tools ? "response.function_call_arguments.delta" : "response.output_text.delta";
            _deltaPrefix = System.Text.Encoding.ASCII.GetBytes($"event: {type}\ndata: {{\"type\":\"{type}\",\"sequence_number\":");
            var item = plan.Tools ? "fc_" + plan.Id : "msg_" + plan.Id;
            _firstSuffix = DeltaSuffix(item, "tok", plan.Tools);
            _laterSuffix = DeltaSuffix(item, " tok", plan.Tools);
            _pieceSuffixes = [.. AiPlan.ToolArgumentPieces.Select(p => DeltaSuffix(item, p, true))];
        }

        private static byte[] DeltaSuffix(string item, string delta, bool tool)
        {
            var body = AiJson.Object(j =>
            {
                j.WriteString("item_id", item);
                j.WriteNumber("output_index", 0);
                if (!tool)
                {
                    j.WriteNumber("content_index", 0);
                }
                j.WriteString("delta", delta);
                if (!tool)
                {
                    j.WriteStartArray("logprobs");
                    j.WriteEndArray();
                }
            });
            // {"item_id":...} -> ,"item_id":...}\n\n
            var suffix = new byte[body.Length + 2];
            suffix[0] = (byte)',';
            body.AsSpan(1).CopyTo(suffix.AsSpan(1));
            suffix[^2] = (byte)'\n';
            suffix[^1] = (byte)'\n';
            return suffix;
        }

        private byte[] Event(string type, Action<Utf8JsonWriter> fields) =>
            AiJson.Sse(type, AiJson.Object(j =>
            {
                j.WriteString("type", type);
                j.WriteNumber("sequence_number", _sequence++);
                fields(j);
            }));

        public override string ContentType => "text/event-stream; charset=utf-8";
        public override int Count => _plan.Tools ? AiPlan.ToolArgumentPieces.Length : _plan.VisibleTokens;
        public override void WriteHead(IBufferWriter<byte> output) => output.Write(_head);

        public override void WriteToken(IBufferWriter<byte> output, int index)
        {
            output.Write(_deltaPrefix);
            var span = output.GetSpan(11);
            System.Buffers.Text.Utf8Formatter.TryFormat(_sequence++, span, out var written);
            output.Advance(written);
            output.Write(_plan.Tools ? _pieceSuffixes[index] : index == 0 ? _firstSuffix : _laterSuffix);
        }

        public override void WriteTail(IBufferWriter<byte> output)
        {
            var plan = _p;
            var text = plan.Text();
            if (plan.Tools)
            {
                output.Write(Event("response.function_call_arguments.done", j =>
                {
                    j.WriteString("item_id", "fc_" + plan.Id);
                    j.WriteNumber("output_index", 0);
                    j.WriteString("arguments", AiPlan.ToolArguments);
                }));
            }
            else
            {
                output.Write(Event("response.output_text.done", j =>
                {
                    j.WriteString("item_id", "msg_" + plan.Id);
                    j.WriteNumber("output_index", 0);
                    j.WriteNumber("content_index", 0);
                    j.WriteString("text", text);
                }));
                output.Write(Event("response.content_part.done", j =>
                {
                    j.WriteString("item_id", "msg_" + plan.Id);
                    j.WriteNumber("output_index", 0);
                    j.WriteNumber("content_index", 0);
                    j.WritePropertyName("part");
                    WriteTextPart(j, text);
                }));
            }
            output.Write(Event("response.output_item.done", j =>
            {
                j.WriteNumber("output_index", 0);
                j.WritePropertyName("item");
                WriteOutputItem(j, plan, done: true);
            }));
            output.Write(Event(plan.Capped ? "response.incomplete" : "response.completed", j =>
            {
                j.WriteStartObject("response");
                WriteResponse(j, plan, true);
                j.WriteEndObject();
            }));
        }

        public override void WriteGarbage(IBufferWriter<byte> output) =>
            output.Write("event: response.output_text.delta\ndata: {not json at all\n\n"u8);
    }
}
