using System.Text.Json;
using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketCorpus;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>
/// Autobahn's UTF-8 cases 6.5-6.23 (TestData/websocket-utf8-cases.jsonl): each payload is one text message;
/// a valid one passes, an invalid one fails the connection with 1007. Here also fragmented at every byte and
/// masked, since the check must hold across fragments and through the mask.
/// </summary>
public class WebSocketAutobahnUtf8Tests
{
    public static TheoryData<string> Cases => Ids(Utf8CasesFile);

    [Fact]
    public void Corpus_HasEveryCase()
    {
        IReadOnlyDictionary<string, JsonElement> cases = Read(Utf8CasesFile);
        Assert.Equal(132, cases.Count);
        Assert.Contains(cases.Values, c => c.GetProperty("valid").GetBoolean());
        Assert.Contains(cases.Values, c => !c.GetProperty("valid").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_AutobahnPayloadAsOneTextFrame_VerdictAsExpectedAtEverySplit(string id)
    {
        JsonElement example = Case(Utf8CasesFile, id);
        byte[] payload = example.HexBytes("payloadHex");
        bool valid = example.GetProperty("valid").GetBoolean();

        foreach (bool client in new[] { true, false })
        {
            Verdict verdict = RunAtEverySplit(Frame(Text, payload, client), client);
            AssertVerdict(valid, verdict, $"{id} one frame, {(client ? "masked" : "unmasked")}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_AutobahnPayloadOneFramePerByte_VerdictAsExpected(string id)
    {
        JsonElement example = Case(Utf8CasesFile, id);
        byte[] payload = example.HexBytes("payloadHex");
        bool valid = example.GetProperty("valid").GetBoolean();

        foreach (bool client in new[] { true, false })
        {
            var frames = new List<byte[]>();
            for (int i = 0; i < payload.Length; i++)
            {
                frames.Add(Frame(i == 0 ? Text : Continuation, payload.AsSpan(i, 1), client, fin: i == payload.Length - 1, maskKey: (uint)(i * 0x01010101)));
                if (i % 3 == 1)
                {
                    frames.Add(Frame(Ping, [], client));
                }
            }

            if (payload.Length == 0)
            {
                frames.Add(Frame(Text, [], client));
            }

            Verdict verdict = RunAtEverySplit(Concat([.. frames]), client);
            AssertVerdict(valid, verdict, $"{id} fragmented, {(client ? "masked" : "unmasked")}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_AutobahnPayloadAsCloseReason_VerdictAsExpected(string id)
    {
        JsonElement example = Case(Utf8CasesFile, id);
        byte[] payload = example.HexBytes("payloadHex");
        if (payload.Length > 123)
        {
            return;
        }

        bool valid = example.GetProperty("valid").GetBoolean();
        foreach (bool client in new[] { true, false })
        {
            Verdict verdict = RunAtEverySplit(Frame(Close, ClosePayload(1000, payload), client), client);
            AssertVerdict(valid, verdict, $"{id} close reason");
        }
    }

    private static void AssertVerdict(bool valid, Verdict verdict, string what)
    {
        if (valid)
        {
            Assert.True(verdict.Status == WebSocketFrameStatus.Ok, $"{what}: {verdict}");
        }
        else
        {
            Assert.True(verdict.Status == WebSocketFrameStatus.Violation && verdict.CloseCode == WebSocketCloseCodes.InvalidPayload, $"{what}: {verdict}");
        }
    }
}
