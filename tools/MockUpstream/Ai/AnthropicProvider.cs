using System.Buffers;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// Anthropic Messages as api.anthropic.com answers them. Its usage counts input_tokens without
/// the cache reads (cache_read_input_tokens beside it) and has no field for thinking tokens, which
/// are inside output_tokens.
/// </summary>
internal sealed class AnthropicProvider : AiProvider
{
    public override string Name => "anthropic";

    public override bool Authorized(HttpRequest request, out string problem)
    {
        if (request.Headers["x-api-key"].ToString().Length == 0 && !HasBearer(request))
        {
            problem = "x-api-key header is required";
            return false;
        }
        if (request.Headers["anthropic-version"].ToString().Length == 0)
        {
            // Anthropic answers 400 here; a 401 keeps the mock's admission in one place, and says why.
            problem = "anthropic-version header is required";
            return false;
        }
        problem = "";
        return true;
    }

    public override byte[] Error(int status, string message)
    {
        var type = status switch
        {
            429 => "rate_limit_error",
            401 => "authentication_error",
            404 => "not_found_error",
            503 or 529 => "overloaded_error",
            >= 500 => "api_error",
            _ => "invalid_request_error",
        };
        return AiJson.Object(j =>
        {
            j.WriteString("type", "error");
            j.WriteStartObject("error");
            j.WriteString("type", type);
            j.WriteString("message", message);
            j.WriteEndObject();
        });
    }

    public override ServedUsage Served(AiPlan plan) => plan.Usage with { Reasoning = 0 };

    private static string StopReason(AiPlan plan) => plan.Tools ? "tool_use" : plan.Capped ? "max_tokens" : "end_turn";

    private static void WriteUsage(Utf8JsonWriter j, ServedUsage u, int output)
    {
        j.WriteStartObject("usage");
        j.WriteNumber("input_tokens", u.Input - u.Cached);
        j.WriteNumber("cache_creation_input_tokens", 0);
        j.WriteNumber("cache_read_input_tokens", u.Cached);
        j.WriteNumber("output_tokens", output);
        j.WriteString("service_tier", "standard");
        j.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter j, AiPlan plan, bool start)
    {
        j.WriteString("id", "msg_" + plan.Id);
        j.WriteString("type", "message");
        j.WriteString("role", "assistant");
        j.WriteString("model", plan.ModelName);
        j.WriteStartArray("content");
        if (!start)
        {
            j.WriteStartObject();
            if (plan.Tools)
            {
                j.WriteString("type", "tool_use");
                j.WriteString("id", "toolu_" + plan.Id);
                j.WriteString("name", AiPlan.ToolName);
                j.WriteStartObject("input");
                j.WriteString("city", "Paris");
                j.WriteEndObject();
            }
            else
            {
                j.WriteString("type", "text");
                j.WriteString("text", plan.Text());
            }
            j.WriteEndObject();
        }
        j.WriteEndArray();
        if (start)
        {
            j.WriteNull("stop_reason");
        }
        else
        {
            j.WriteString("stop_reason", StopReason(plan));
        }
        j.WriteNull("stop_sequence");
        if (plan.ReportsUsage)
        {
            WriteUsage(j, plan.Usage, start ? 1 : plan.Usage.Output);
        }
    }

    public override byte[] Answer(AiPlan plan) => AiJson.Object(j => WriteMessage(j, plan, start: false));

    public override AiStreamShape Stream(AiPlan plan) => new MessagesStream(plan);

    /// <summary>
    /// message_start (usage: input tokens, cache reads), content_block_start, ping, one
    /// content_block_delta per token (text_delta, or input_json_delta pieces of a tool_use),
    /// content_block_stop, message_delta (stop_reason, output_tokens), message_stop.
    /// </summary>
    private sealed class MessagesStream : AiStreamShape
    {
        private readonly AiPlan _plan;
        private readonly byte[] _head;
        private readonly byte[] _first;
        private readonly byte[] _later;
        private readonly byte[][] _pieces;
        private readonly byte[] _tail;

        public MessagesStream(AiPlan plan)
        {
            _plan = plan;
            var head = new ArrayBufferWriter<byte>(1024);
            head.Write(Event("message_start", j =>
            {
                j.WriteStartObject("message");
                WriteMessage(j, plan, start: true);
                j.WriteEndObject();
            }));
            head.Write(Event("content_block_start", j =>
            {
                j.WriteNumber("index", 0);
                j.WriteStartObject("content_block");
                if (plan.Tools)
                {
                    j.WriteString("type", "tool_use");
                    j.WriteString("id", "toolu_" + plan.Id);
                    j.WriteString("name", AiPlan.ToolName);
                    j.WriteStartObject("input");
                    j.WriteEndObject();
                }
                else
                {
                    j.WriteString("type", "text");
                    j.WriteString("text", "");
                }
                j.WriteEndObject();
            }));
            head.Write(Event("ping", _ => { }));
            _head = head.WrittenSpan.ToArray();
            _first = TextDelta("tok");
            _later = TextDelta(" tok");
            _pieces = [.. AiPlan.ToolArgumentPieces.Select(p => Event("content_block_delta", j =>
            {
                j.WriteNumber("index", 0);
                j.WriteStartObject("delta");
                j.WriteString("type", "input_json_delta");
                j.WriteString("partial_json", p);
                j.WriteEndObject();
            }))];
            var tail = new ArrayBufferWriter<byte>(512);
            tail.Write(Event("content_block_stop", j => j.WriteNumber("index", 0)));
            tail.Write(Event("message_delta", j =>
            {
                j.WriteStartObject("delta");
                j.WriteString("stop_reason", StopReason(plan));
                j.WriteNull("stop_sequence");
                j.WriteEndObject();
                if (plan.ReportsUsage)
                {
                    j.WriteStartObject("usage");
                    j.WriteNumber("output_tokens", plan.Usage.Output);
                    j.WriteEndObject();
                }
            }));
            tail.Write(Event("message_stop", _ => { }));
            _tail = tail.WrittenSpan.ToArray();
        }

        private static byte[] TextDelta(string text) => Event("content_block_delta", j =>
        {
            j.WriteNumber("index", 0);
            j.WriteStartObject("delta");
            j.WriteString("type", "text_delta");
            j.WriteString("text", text);
            j.WriteEndObject();
        });

        private static byte[] Event(string type, Action<Utf8JsonWriter> fields) =>
            AiJson.Sse(type, AiJson.Object(j =>
            {
                j.WriteString("type", type);
                fields(j);
            }));

        public override string ContentType => "text/event-stream; charset=utf-8";
        public override int Count => _plan.Tools ? _pieces.Length : _plan.VisibleTokens;
        public override void WriteHead(IBufferWriter<byte> output) => output.Write(_head);
        public override void WriteToken(IBufferWriter<byte> output, int index) =>
            output.Write(_plan.Tools ? _pieces[index] : index == 0 ? _first : _later);
        public override void WriteTail(IBufferWriter<byte> output) => output.Write(_tail);
        public override void WriteGarbage(IBufferWriter<byte> output) =>
            output.Write("event: content_block_delta\ndata: {\"type\": content_block_delta garbage\n\n"u8);
    }
}
