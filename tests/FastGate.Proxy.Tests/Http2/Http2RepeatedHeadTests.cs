using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

/// <summary>
/// The last proxied head is kept only when its encoding left the table as it was, and matches
/// only a head with the same status, length, table version and forwarded fields, in order.
/// </summary>
public sealed class Http2RepeatedHeadTests
{
    private static readonly byte[] Block = [0x88, 0xc1, 0xc0, 0xbf];

    private static Http2RepeatedHead Kept(long version = 7)
    {
        var head = new Http2RepeatedHead();
        head.BeginRecord();
        head.RecordField("Server"u8, "origin"u8);
        head.RecordField("Date"u8, "Sun, 06 Dec 2026 09:00:00 GMT"u8);
        head.EndRecord(200, 12, version, version, Block);
        return head;
    }

    private static bool Matches(Http2RepeatedHead head, int status, long length, long version, params (string Name, string Value)[] fields)
    {
        if (!head.BeginMatch(status, length, version))
        {
            return false;
        }
        foreach (var (name, value) in fields)
        {
            if (!head.MatchField(System.Text.Encoding.ASCII.GetBytes(name), System.Text.Encoding.ASCII.GetBytes(value)))
            {
                return false;
            }
        }
        return head.EndMatch();
    }

    private static readonly (string, string)[] Same = [("Server", "origin"), ("Date", "Sun, 06 Dec 2026 09:00:00 GMT")];

    [Fact]
    public void Match_SameHead_GivesTheKeptBlock()
    {
        var head = Kept();

        Assert.True(Matches(head, 200, 12, 7, Same));
        Assert.Equal(Block, head.Block.ToArray());
    }

    [Fact]
    public void Match_AnythingDifferent_IsNoMatch()
    {
        var head = Kept();

        Assert.False(Matches(head, 404, 12, 7, Same));
        Assert.False(Matches(head, 200, 13, 7, Same));
        Assert.False(Matches(head, 200, 12, 8, Same));
        Assert.False(Matches(head, 200, 12, 7, ("Server", "origin"), ("Date", "Sun, 06 Dec 2026 09:00:01 GMT")));
        Assert.False(Matches(head, 200, 12, 7, ("server", "origin"), ("Date", "Sun, 06 Dec 2026 09:00:00 GMT")));
        Assert.False(Matches(head, 200, 12, 7, ("Server", "origin")));
        Assert.False(Matches(head, 200, 12, 7, [.. Same, ("Vary", "accept")]));
        Assert.False(Matches(head, 200, 12, 7, ("Date", "Sun, 06 Dec 2026 09:00:00 GMT"), ("Server", "origin")));
    }

    [Fact]
    public void EndRecord_TableChangedWhileEncoding_KeepsNothing()
    {
        var head = new Http2RepeatedHead();
        head.BeginRecord();
        head.RecordField("Server"u8, "origin"u8);
        head.EndRecord(200, 12, 7, 8, Block);

        Assert.False(Matches(head, 200, 12, 7, ("Server", "origin")));
        Assert.False(Matches(head, 200, 12, 8, ("Server", "origin")));
    }

    [Fact]
    public void BeginRecord_ForgetsTheKeptHeadUntilTheNewOneIsKept()
    {
        var head = Kept();

        head.BeginRecord();

        Assert.False(Matches(head, 200, 12, 7, Same));
    }

    [Fact]
    public void EndRecord_HeadTooLargeToKeep_KeepsNothing()
    {
        var head = new Http2RepeatedHead();
        head.BeginRecord();
        var large = new string('v', 4000);
        head.RecordField("X-Large"u8, System.Text.Encoding.ASCII.GetBytes(large));
        head.EndRecord(200, 12, 7, 7, Block);

        Assert.False(Matches(head, 200, 12, 7, ("X-Large", large)));
    }
}
