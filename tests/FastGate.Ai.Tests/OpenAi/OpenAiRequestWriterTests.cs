using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;

namespace FastGate.Ai.Tests.OpenAi;

/// <summary>
/// The raw-copy request writer says what the member-by-member writer said (<see cref="OpenAiRequestWriterReference"/>):
/// the same members and values in the same order, the same refusals, on every API and stream setting.
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
    public void Says_what_the_member_by_member_writer_said(string body)
    {
        AssertSame(Encoding.UTF8.GetBytes(body));
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
    public void Kept_members_are_copied_with_their_own_spacing()
    {
        var body = Write(ClientApi.OpenAiChat, "{ \"a\" : [ 1 ] ,\n \"model\":\"m\", \"b\":{ }\n}"u8, stream: false, model: "t");

        Assert.Equal("{\"model\":\"t\",\"a\" : [ 1 ],\"b\":{ }}", body);
    }

    [Fact]
    public void Every_truncated_or_corrupted_body_is_refused_as_before_and_never_throws()
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
                AssertSame(bad);
            }
        }
    }

    [Fact]
    public void A_name_that_is_not_valid_utf8_is_refused()
    {
        // The member-by-member writer sent such a name with U+FFFD in place of the bad bytes (a name the client
        // never wrote); a raw copy would send the bad bytes on: the request is refused instead. A lone
        // surrogate escape, and an escaped name with bad bytes, were refused already.
        byte[][] pivots =
        [
            [.. "{\"a"u8, 0xFF, .. "\":1,\"model\":\"m\"}"u8],
            "{\"\\ud800\":1}"u8.ToArray(),
            "{\"a\\ud800\":1}"u8.ToArray(),
            [.. "{\"a\\u0041"u8, 0xE2, 0x82, .. "\":1}"u8],
        ];
        foreach (var pivot in pivots)
        {
            foreach (var api in Apis)
            {
                Assert.False(OpenAiRequestWriter.TryWrite(api, pivot, new RequestFacts { Stream = true }, "t"u8, new ArrayBufferWriter<byte>(), out var error));
                Assert.Equal(400, error.Status);
            }
            AssertSame(pivot);
        }
        // The chat stream's stream_options are rewritten member by member; elsewhere they are a value, copied as it came.
        byte[] options = [.. "{\"stream_options\":{\"a"u8, 0xC3, .. "\":1},\"model\":\"m\"}"u8];
        Assert.False(OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, options, new RequestFacts { Stream = true }, "t"u8, new ArrayBufferWriter<byte>(), out _));
        Assert.True(OpenAiRequestWriter.TryWrite(ClientApi.OpenAiResponses, options, new RequestFacts { Stream = true }, "t"u8, new ArrayBufferWriter<byte>(), out _));
        AssertSame(options);
    }

    [Fact]
    public void A_value_that_is_not_valid_utf8_is_copied_as_before()
    {
        // Values were copied raw before too: the provider judges them.
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
            AssertSame(pivot);
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

    private static string Write(ClientApi api, ReadOnlySpan<byte> pivot, bool stream, string model)
    {
        var body = new ArrayBufferWriter<byte>();
        Assert.True(OpenAiRequestWriter.TryWrite(api, pivot, new RequestFacts { Stream = stream }, Encoding.UTF8.GetBytes(model), body, out var error), error.Message);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    /// <summary>
    /// Both writers agree on every API and stream setting: both refuse with the same error, or both write the
    /// same JSON; but where the member-by-member writer put U+FFFD for a name's bad bytes, this one refuses.
    /// </summary>
    private static void AssertSame(byte[] pivot)
    {
        foreach (var api in Apis)
        {
            foreach (var stream in (ReadOnlySpan<bool>)[true, false])
            {
                var facts = new RequestFacts { Stream = stream };
                var expected = new ArrayBufferWriter<byte>();
                var actual = new ArrayBufferWriter<byte>();
                var expectedOk = OpenAiRequestWriterReference.TryWrite(api, pivot, facts, "t\"arget"u8, expected, out var expectedError);
                var actualOk = OpenAiRequestWriter.TryWrite(api, pivot, facts, "t\"arget"u8, actual, out var actualError);

                var what = $"{api} stream={stream} pivot={Convert.ToHexString(pivot)}";
                if (expectedOk && !actualOk && !Utf8.IsValid(pivot) && expected.WrittenSpan.IndexOf("\\uFFFD"u8) >= 0)
                {
                    Assert.Equal(400, actualError.Status);
                    continue;
                }
                Assert.True(expectedOk == actualOk, what);
                if (!expectedOk)
                {
                    Assert.Equal(expectedError, actualError);
                    continue;
                }
                using var expectedJson = JsonDocument.Parse(expected.WrittenMemory);
                using var actualJson = JsonDocument.Parse(actual.WrittenMemory);
                Assert.True(SameJson(expectedJson.RootElement, actualJson.RootElement), $"{what}\n{Encoding.UTF8.GetString(expected.WrittenSpan)}\n{Encoding.UTF8.GetString(actual.WrittenSpan)}");
            }
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

    /// <summary>The same bytes, or the same text once unescaped (a name may be escaped differently).</summary>
    private static bool SameName(JsonProperty expected, JsonProperty actual) =>
        JsonMarshal.GetRawUtf8PropertyName(expected).SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(actual)) || expected.Name == actual.Name;
}
