using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;

namespace FastGate.Ai.Tests.OpenAi;

/// <summary>
/// The upstream body of an OpenAI-kind provider on many pivots, every API and stream setting: the target's model
/// first, stream as the facts say, stream_options as each API wants, every other member and value as it came,
/// and a 400 (never a throw) for anything that is not a JSON object.
/// </summary>
public class OpenAiRequestWriterTests
{
    private static readonly ClientApi[] Apis = [ClientApi.OpenAiChat, ClientApi.OpenAiResponses, ClientApi.OpenAiEmbeddings];

    public static TheoryData<string> Bodies => new()
    {
        """{"messages":[{"role":"user","content":"hi \"you\""}],"model":"gpt-4o-mini","temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""",
        """{"model":"m","stream":true,"messages":[]}""",
        """{"model":"m","stream":true,"stream_options":{"include_usage":false,"include_obfuscation":false},"messages":[]}""",
        """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""",
        """{"model":"m","stream":true,"stream_options":{},"messages":[]}""",
        """{"model":"m","stream":true,"stream_options":null,"messages":[]}""",
        """{"model":"m","stream":true,"stream_options":[1,{"include_usage":false}],"messages":[]}""",
        """{"model":"m","stream_options":"x","messages":[]}""",
        """{"model":"gpt-4.1","input":"hi","stream":true}""",
        """{"input":["a","b"],"model":"e"}""",
        """{"input":"a","model":"e","stream":true,"stream_options":{"include_usage":true}}""",
        """{"model":"m","messages":[]}""",
        """{"model":"m","x\u0041":1,"messages":[]}""",
        // Escaped names of the members rewritten still name them.
        """{"mod\u0065l":"x","str\u0065am":false,"stream_\u006fptions":{"include_\u0075sage":false,"a":1},"messages":[]}""",
        """{"\u006d\u006f\u0064\u0065\u006c":"x","messages":[],"stream_options":{"\u0069nclude_usage":false}}""",
        // Duplicates: every model and stream dropped, every stream_options handled where it stands.
        """{"model":"a","model":"b","stream":true,"stream":false,"stream_options":{"x":1},"stream_options":null,"messages":[],"model":"c"}""",
        """{"stream_options":{"include_usage":false,"include_usage":false,"a":1,"a":2}}""",
        // Nested members named model, stream or stream_options are the client's own.
        """{"messages":[{"role":"user","model":"keep","stream":true}],"metadata":{"model":"keep","stream":true,"stream_options":{"include_usage":false}},"model":"m"}""",
        """{"stream_options":{"model":"keep","stream":false,"nested":{"include_usage":false}},"model":"m"}""",
        // White space everywhere.
        "\r\n {\n\t\"model\" :\r\n \"m\" ,\n \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"hi\" } ] ,\t\"stream\":\ttrue , \"stream_options\" : { \"include_usage\" : false , \"b\" : [ 1 , 2 ] } , \"n\" : 1 \n} \n",
        "{ }",
        "{}",
        // Unicode as it came and escaped.
        """{"messages":[{"role":"user","content":"héllo 😀 日本 \u00e9 \ud83d\ude00 \n\t\\ \/ \b\f\r"}],"naïve":"ü","😀":1,"model":"m"}""",
        // Numbers in all forms.
        """{"a":0,"b":-0,"c":1e3,"d":1E+3,"e":-1.5e-10,"f":12345678901234567890123456789,"g":0.0,"h":[-1,2.5e+300,3E-3],"model":"m","temperature":1}""",
        """{"t":true,"f":false,"n":null,"s":"","o":{},"a":[],"deep":[[[{"x":[{}]}]]]}""",
        // Only members rewritten, and one kept between two dropped.
        """{"model":"m","stream":true,"stream_options":{"include_usage":false}}""",
        """{"model":"m","k":1,"stream":true}""",
        // Not an object, or not JSON.
        """[1]""", "\"x\"", "1", "null", "", " ", "{", "}", "{\"model\":", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "{\"a\":1}}",
        "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\tinside\"}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":1 /* comment */}", "{a:1}",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Rewrites_model_stream_and_stream_options_and_keeps_the_rest(string body)
    {
        AssertRewritten(Encoding.UTF8.GetBytes(body));
    }

    [Fact]
    public void Target_model_is_escaped_and_stream_is_set_on_an_empty_object()
    {
        Assert.Equal("""{"model":"a\"b\\c","stream":true,"stream_options":{"include_usage":true}}""",
            Write(ClientApi.OpenAiChat, "{}"u8, stream: true, model: "a\"b\\c"));
        Assert.Equal("""{"model":"t"}""", Write(ClientApi.OpenAiEmbeddings, "{}"u8, stream: true, model: "t"));
    }

    [Fact]
    public void Escaped_names_of_rewritten_members_count_as_them()
    {
        var body = Write(ClientApi.OpenAiChat, """{"mod\u0065l":"x","str\u0065am":false,"stream_\u006fptions":{"include_\u0075sage":false,"a":1},"messages":[]}"""u8, stream: true, model: "t");

        Assert.Equal("""{"model":"t","stream":true,"stream_options":{"a":1,"include_usage":true},"messages":[]}""", body);
    }

    [Fact]
    public void Nested_members_named_model_are_left_alone()
    {
        const string pivot = """{"messages":[{"role":"user","model":"keep"}],"metadata":{"model":"keep","stream":false},"model":"m"}""";

        Assert.Equal("""{"model":"t","messages":[{"role":"user","model":"keep"}],"metadata":{"model":"keep","stream":false}}""",
            Write(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(pivot), stream: false, model: "t"));
    }

    [Fact]
    public void Values_are_copied_with_their_own_spacing()
    {
        var body = Write(ClientApi.OpenAiChat, "{ \"a\" : [ 1 ] ,\n \"model\":\"m\", \"b\":{ }\n}"u8, stream: false, model: "t");

        Assert.Equal("{\"model\":\"t\",\"a\":[ 1 ],\"b\":{ }}", body);
    }

    [Fact]
    public void Every_truncated_body_is_refused_and_no_corrupted_one_throws()
    {
        var whole = Encoding.UTF8.GetBytes(
            """{"model":"gpt","messages":[{"role":"user","content":"h\u00e9 😀"}],"stream":true,"stream_options":{"include_usage":false,"x":[1,-2.5e3]},"n":null}""");
        for (var length = 0; length < whole.Length; length++)
        {
            var cut = whole[..length];
            foreach (var api in Apis)
            {
                Assert.False(OpenAiRequestWriter.TryWrite(api, cut, new RequestFacts { Stream = true }, "t"u8, new ArrayBufferWriter<byte>(), out var error));
                Assert.Equal(400, error.Status);
            }
        }
        ReadOnlySpan<byte> corruptions = [0xFF, 0xC3, (byte)'}', (byte)']', (byte)',', (byte)'"', (byte)':', (byte)'\\', (byte)' ', (byte)'0', 0x01];
        foreach (var corruption in corruptions)
        {
            for (var at = 0; at < whole.Length; at++)
            {
                var bad = (byte[])whole.Clone();
                bad[at] = corruption;
                AssertRewritten(bad);
            }
        }
    }

    [Fact]
    public void A_name_that_is_not_valid_utf8_goes_out_with_a_replacement_character()
    {
        // The writer puts U+FFFD for a plain name's bad bytes; an escaped name that does not unescape to UTF-8 is refused.
        byte[] plain = [.. "{\"a"u8, 0xFF, .. "\":1,\"model\":\"m\"}"u8];
        Assert.Equal("{\"model\":\"t\",\"a\\uFFFD\":1}", Write(ClientApi.OpenAiChat, plain, stream: false, model: "t"));
        byte[][] refused =
        [
            "{\"\\ud800\":1}"u8.ToArray(),
            "{\"a\\ud800\":1}"u8.ToArray(),
            [.. "{\"a\\u0041"u8, 0xE2, 0x82, .. "\":1}"u8],
        ];
        foreach (var pivot in refused)
        {
            foreach (var api in Apis)
            {
                Assert.False(OpenAiRequestWriter.TryWrite(api, pivot, new RequestFacts { Stream = true }, "t"u8, new ArrayBufferWriter<byte>(), out var error));
                Assert.Equal(400, error.Status);
            }
        }
    }

    [Fact]
    public void A_value_that_is_not_valid_utf8_is_copied_as_it_came()
    {
        // Values are copied raw: the provider judges them.
        byte[][] pivots =
        [
            [.. "{\"model\":\"m\",\"messages\":[{\"content\":\"a"u8, 0xFF, .. "\"}]}"u8],
            [.. "{\"x\":\""u8, 0xC3, .. "\",\"stream_options\":{\"a\":\""u8, 0xE2, 0x82, .. "\"}}"u8],
        ];
        foreach (var pivot in pivots)
        {
            var body = new ArrayBufferWriter<byte>();
            Assert.True(OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, pivot, new RequestFacts { Stream = true }, "t"u8, body, out _));
            Assert.False(Utf8.IsValid(body.WrittenSpan));
            AssertRewritten(pivot);
        }
    }

    [Fact]
    public void Writes_without_allocating()
    {
        var pivot = Encoding.UTF8.GetBytes(
            """{"model":"m","messages":[{"role":"user","content":"hi"}],"x\u0041":1,"stream":true,"stream_options":{"include_usage":false,"o":1},"tools":[]}""");
        var body = new ArrayBufferWriter<byte>(1024);
        var facts = new RequestFacts { Stream = true };
        Assert.True(OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, pivot, facts, "t"u8, body, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            body.ResetWrittenCount();
            OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, pivot, facts, "t"u8, body, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public static TheoryData<string> LayoutBodies()
    {
        var bodies = new TheoryData<string>();
        foreach (var body in Bodies)
        {
            bodies.Add(body);
        }
        foreach (var body in (string[])[
            """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":false,"o":[ 1 ]},"tools":[],"n":1}""",
            """{"stream_options":{ "include_usage" : true },"model":"m","input":"x","messages":[],"stream":false}""",
            """{"messages":[],"stream":false,"model":"m"}""",
            """{"stream":true,"model":"m","messages":[]}""",
            """{"messages":[],"model":"m","k":{"stream":true},"stream_options":null}""",
            """{"model":"m","messages":[],"a-b.c_9":1,"input":["i"]}""",
            """{"model":"m","messages":[],"a/b":1}""",
            """{"model":"m","messages":[],"é":1}""",
            """{"model":"m" ,"messages":[]}""",
            """{"model":"m","messages":[] }""",
            """{"model":"m","messages":[],"stream":true,"stream":true}""",
            """{"model":"gpt\u002d4o","messages":[],"stream":true}""",
            """{"model":null,"model":"m","messages":[]}""",
            ])
        {
            bodies.Add(body);
        }
        return bodies;
    }

    [Theory]
    [MemberData(nameof(LayoutBodies))]
    public void A_pivot_written_from_the_fronts_layout_is_the_same_bytes_as_one_rewritten_member_by_member(string body)
    {
        AssertLayoutWritesTheSame(Encoding.UTF8.GetBytes(body));
    }

    [Fact]
    public void The_front_knows_the_layout_of_a_compact_body_with_plain_names_only()
    {
        Assert.True(LayoutOf("""{"model":"m","messages":[{"role":"user","content":"a b"}],"stream":true,"stream_options":{ "include_usage" : false }}""").Known);
        Assert.True(LayoutOf("""{"messages":[],"model":"m","max_tokens":1,"a-b.c_9":{}}""").Known);
        Assert.False(LayoutOf("""{"model": "m","messages":[]}""").Known);
        Assert.False(LayoutOf("""{"model":"m", "messages":[]}""").Known);
        // White space around the object is not copied, so it leaves the layout known.
        Assert.True(LayoutOf(" {\"model\":\"m\",\"messages\":[]}\n").Known);
        Assert.False(LayoutOf("""{"model":"m","messages":[],"x\u0041":1}""").Known);
        Assert.False(LayoutOf("""{"model":"m","messages":[],"stream":true,"stream":true}""").Known);
        Assert.False(LayoutOf("""{"model":"gpt\u002d4o","messages":[]}""").Known);
    }

    [Fact]
    public void Every_corrupted_body_the_front_takes_is_written_the_same_from_its_layout()
    {
        var whole = Encoding.UTF8.GetBytes(
            """{"model":"gpt","messages":[{"role":"user","content":"h\u00e9 😀"}],"stream":true,"stream_options":{"include_usage":false,"x":[1,-2.5e3]},"n":null,"input":"i"}""");
        ReadOnlySpan<byte> corruptions = [0xFF, 0xC3, (byte)'}', (byte)']', (byte)',', (byte)'"', (byte)':', (byte)'\\', (byte)' ', (byte)'0', 0x01];
        foreach (var corruption in corruptions)
        {
            for (var at = 0; at < whole.Length; at++)
            {
                var bad = (byte[])whole.Clone();
                bad[at] = corruption;
                AssertLayoutWritesTheSame(bad);
            }
        }
    }

    [Fact]
    public void Writes_from_a_layout_without_allocating()
    {
        var client = Encoding.UTF8.GetBytes(
            """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":false,"o":1},"tools":[]}""");
        var pivot = new ArrayBufferWriter<byte>();
        Assert.True(OpenAiRequestReader.TryRead(ClientApi.OpenAiChat, client, pivot, out var facts, out _));
        Assert.True(facts.Layout.Known);
        var body = new ArrayBufferWriter<byte>(1024);
        Assert.True(OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, pivot.WrittenSpan, facts, "t"u8, body, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            body.ResetWrittenCount();
            OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, pivot.WrittenSpan, facts, "t"u8, body, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static PivotLayout LayoutOf(string body)
    {
        Assert.True(OpenAiRequestReader.TryRead(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(body), new ArrayBufferWriter<byte>(), out var facts, out var error), error.Message);
        return facts.Layout;
    }

    /// <summary>
    /// For each front that takes the body: the pivot it wrote, written on every API and stream setting with the
    /// front's layout, is byte for byte what the member-by-member rewrite of the same pivot gives.
    /// </summary>
    private static void AssertLayoutWritesTheSame(byte[] client)
    {
        foreach (var front in Apis)
        {
            var pivot = new ArrayBufferWriter<byte>();
            if (!OpenAiRequestReader.TryRead(front, client, pivot, out var facts, out _))
            {
                continue;
            }
            foreach (var api in Apis)
            {
                foreach (var stream in (ReadOnlySpan<bool>)[true, false])
                {
                    var withLayout = facts with { Stream = stream };
                    var withoutLayout = withLayout with { Layout = default };
                    var fast = new ArrayBufferWriter<byte>();
                    var slow = new ArrayBufferWriter<byte>();
                    var fastOk = OpenAiRequestWriter.TryWrite(api, pivot.WrittenSpan, withLayout, "t\"arget"u8, fast, out _);
                    var slowOk = OpenAiRequestWriter.TryWrite(api, pivot.WrittenSpan, withoutLayout, "t\"arget"u8, slow, out _);
                    var what = $"front={front} {api} stream={stream} known={facts.Layout.Known} pivot={Encoding.UTF8.GetString(pivot.WrittenSpan)}";
                    Assert.True(slowOk == fastOk, what);
                    if (slowOk)
                    {
                        Assert.True(slow.WrittenSpan.SequenceEqual(fast.WrittenSpan), $"{what}\nslow={Encoding.UTF8.GetString(slow.WrittenSpan)}\nfast={Encoding.UTF8.GetString(fast.WrittenSpan)}");
                    }
                }
            }
        }
    }

    private static string Write(ClientApi api, ReadOnlySpan<byte> pivot, bool stream, string model)
    {
        var body = new ArrayBufferWriter<byte>();
        Assert.True(OpenAiRequestWriter.TryWrite(api, pivot, new RequestFacts { Stream = stream }, Encoding.UTF8.GetBytes(model), body, out var error), error.Message);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    /// <summary>
    /// On every API and stream setting: a 400 when the pivot is not a JSON object (never a throw), else the
    /// target's model first, stream as the facts say, stream_options as the API wants, and every other top-level
    /// member of the pivot, in its order, with the same value.
    /// </summary>
    private static void AssertRewritten(byte[] pivot)
    {
        var isObject = IsJsonObject(pivot);
        foreach (var api in Apis)
        {
            foreach (var stream in (ReadOnlySpan<bool>)[true, false])
            {
                var facts = new RequestFacts { Stream = stream };
                var output = new ArrayBufferWriter<byte>();
                var ok = OpenAiRequestWriter.TryWrite(api, pivot, facts, "t\"arget"u8, output, out var error);
                var what = $"{api} stream={stream} pivot={Convert.ToHexString(pivot)} body={Encoding.UTF8.GetString(output.WrittenSpan)}";
                if (!ok)
                {
                    Assert.Equal(400, error.Status);
                    Assert.False(isObject, what);
                    continue;
                }
                using var written = JsonDocument.Parse(output.WrittenMemory);
                var members = written.RootElement.EnumerateObject().ToList();
                Assert.True(members[0].NameEquals("model"u8) && members[0].Value.GetString() == "t\"arget", what);
                members.RemoveAt(0);
                var setsStream = api != ClientApi.OpenAiEmbeddings;
                if (setsStream && stream)
                {
                    Assert.True(members[0].NameEquals("stream"u8) && members[0].Value.ValueKind == JsonValueKind.True, what);
                    members.RemoveAt(0);
                }
                var askUsage = api == ClientApi.OpenAiChat && stream;
                if (askUsage && !members.Any(member => member.NameEquals("stream_options"u8)))
                {
                    // Added last when the client sent none (checked with the client's own below).
                    Assert.True(members.Count > 0 && members[^1].NameEquals("stream_options"u8), what);
                }
                if (!isObject)
                {
                    // A document whose object is followed by more text: only its object is read.
                    continue;
                }
                using var client = JsonDocument.Parse(pivot, new JsonDocumentOptions { AllowTrailingCommas = false });
                var expected = client.RootElement.EnumerateObject()
                    .Where(member => !member.NameEquals("model"u8) && !(setsStream && (member.NameEquals("stream"u8) || (member.NameEquals("stream_options"u8) && (!stream || askUsage)))))
                    .ToList();
                var actual = members.Where(member => !(askUsage && member.NameEquals("stream_options"u8))).ToList();
                Assert.True(expected.Count == actual.Count, what);
                Assert.True(expected.Zip(actual).All(pair => SameName(pair.First, pair.Second) && SameJson(pair.First.Value, pair.Second.Value)), what);
                if (askUsage)
                {
                    var options = members.Where(member => member.NameEquals("stream_options"u8)).ToList();
                    var clientOptions = client.RootElement.EnumerateObject().Where(member => member.NameEquals("stream_options"u8)).ToList();
                    Assert.Equal(Math.Max(1, clientOptions.Count), options.Count);
                    foreach (var (written_, index) in options.Select((member, index) => (member, index)))
                    {
                        var inner = written_.Value.EnumerateObject().ToList();
                        Assert.True(inner[^1].NameEquals("include_usage"u8) && inner[^1].Value.ValueKind == JsonValueKind.True, what);
                        var kept = index < clientOptions.Count && clientOptions[index].Value.ValueKind == JsonValueKind.Object
                            ? clientOptions[index].Value.EnumerateObject().Where(member => !member.NameEquals("include_usage"u8)).ToList()
                            : [];
                        Assert.True(kept.Count == inner.Count - 1 && kept.Zip(inner).All(pair => SameName(pair.First, pair.Second) && SameJson(pair.First.Value, pair.Second.Value)), what);
                    }
                }
            }
        }
    }

    /// <summary>The whole pivot is one JSON object (the writer reads no further than its object's end).</summary>
    private static bool IsJsonObject(byte[] pivot)
    {
        try
        {
            using var document = JsonDocument.Parse(pivot);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Same members (names unescaped) in the same order, duplicates included, and the same values; scalars as the same bytes.</summary>
    private static bool SameJson(JsonElement expected, JsonElement actual)
    {
        if (expected.ValueKind != actual.ValueKind)
        {
            return false;
        }
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var expectedMembers = expected.EnumerateObject().ToArray();
                var actualMembers = actual.EnumerateObject().ToArray();
                return expectedMembers.Length == actualMembers.Length
                    && expectedMembers.Zip(actualMembers).All(pair => SameName(pair.First, pair.Second) && SameJson(pair.First.Value, pair.Second.Value));
            case JsonValueKind.Array:
                var expectedItems = expected.EnumerateArray().ToArray();
                var actualItems = actual.EnumerateArray().ToArray();
                return expectedItems.Length == actualItems.Length && expectedItems.Zip(actualItems).All(pair => SameJson(pair.First, pair.Second));
            default:
                return JsonMarshal.GetRawUtf8Value(expected).SequenceEqual(JsonMarshal.GetRawUtf8Value(actual));
        }
    }

    /// <summary>The same bytes, or the same text once unescaped (the writer escapes names its own way).</summary>
    private static bool SameName(JsonProperty expected, JsonProperty actual)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(expected);
        if (raw.SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(actual)))
        {
            return true;
        }
        // A client's name that is not UTF-8 goes out with U+FFFD for its bad bytes.
        return Utf8.IsValid(raw) ? expected.Name == actual.Name : JsonMarshal.GetRawUtf8PropertyName(actual).IndexOf("\\uFFFD"u8) >= 0;
    }
}
