using System.Buffers;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicAllocationTests
{
    [Fact]
    public void RequestAndAnswerTranslation_AfterWarmUp_AllocatesNothing()
    {
        var request = AnthropicTestData.Body("request-messages.json");
        var chat = AnthropicTestData.Body("request-chat.json");
        var answer = AnthropicTestData.Body("message-tool-use.json");
        var front = new AnthropicMessagesFront();
        var adapter = new AnthropicAdapter();
        var pivot = new ArrayBufferWriter<byte>(64 * 1024);
        var upstream = new ArrayBufferWriter<byte>(64 * 1024);
        var response = new ArrayBufferWriter<byte>(64 * 1024);
        var client = new ArrayBufferWriter<byte>(64 * 1024);
        void Run()
        {
            pivot.ResetWrittenCount();
            upstream.ResetWrittenCount();
            response.ResetWrittenCount();
            client.ResetWrittenCount();
            Assert.True(front.TryReadRequest(request, pivot, out var facts, out _));
            Assert.True(adapter.TryWriteRequest(ClientApi.AnthropicMessages, pivot.WrittenSpan, facts, "claude-x"u8, upstream, out _));
            upstream.ResetWrittenCount();
            Assert.True(adapter.TryWriteRequest(ClientApi.OpenAiChat, chat, facts, "claude-x"u8, upstream, out _));
            var usage = default(TokenUsage);
            Assert.True(adapter.TryReadResponse(ClientApi.AnthropicMessages, answer, response, ref usage, out _));
            front.WriteResponse(response.WrittenSpan, usage, client);
        }
        Run();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++)
        {
            Run();
        }

        var total = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, total);
    }
}
