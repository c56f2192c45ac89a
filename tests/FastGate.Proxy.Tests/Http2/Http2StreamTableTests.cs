using FastGate.Core.Transport;
using FastGate.Proxy.Forwarding.Http2;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Http2;

/// <summary>
/// A connection's stream table against a dictionary doing the same: rising odd ids, streams that
/// outlive many later ones (so ids meet in one slot and probe past each other), removals in any
/// order (each shifting the run behind it back), growth, and the table emptied and refilled.
/// </summary>
public sealed class Http2StreamTableTests : IDisposable
{
    private readonly TestGateway _gateway = new(TestGateway.OneRouteConfig());
    private readonly Http2Connection _connection;

    public Http2StreamTableTests()
    {
        var (_, server) = InMemoryTransport.CreatePair();
        _connection = new Http2Connection(server, "127.0.0.1:1"u8.ToArray(), _gateway.Gateway, "web", null, null, null);
    }

    public void Dispose() => _gateway.Dispose();

    private Http2Stream StreamWithId(int id)
    {
        var stream = new Http2Stream(_connection);
        stream.Open(id, 65535, 65535, remoteEnded: true);
        return stream;
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 40)]
    [InlineData(3, 130)]
    public void RandomOpensAndCloses_AgreeWithADictionary(int seed, int maxOpen)
    {
        var random = new Random(seed);
        var table = new Http2StreamTable();
        var model = new Dictionary<int, Http2Stream>();
        var nextId = 1;
        for (var step = 0; step < 20_000; step++)
        {
            if (model.Count < maxOpen && (model.Count == 0 || random.Next(2) == 0))
            {
                var stream = StreamWithId(nextId);
                table.Add(stream);
                model.Add(nextId, stream);
                nextId += 2;
            }
            else
            {
                // Mostly the oldest streams end first, as short requests do; now and then any one.
                var ids = model.Keys.Order().ToArray();
                var id = random.Next(4) == 0 ? ids[random.Next(ids.Length)] : ids[random.Next(Math.Min(3, ids.Length))];
                Assert.True(table.Remove(id));
                model.Remove(id);
                Assert.False(table.Remove(id));
            }
            if (step % 97 == 0 || model.Count <= 2)
            {
                AssertSame(model, table, nextId);
            }
        }
        AssertSame(model, table, nextId);
    }

    [Fact]
    public void OneStreamOutlivingManyLaterOnes_IsFoundAndRemovedAmongThem()
    {
        var table = new Http2StreamTable();
        var model = new Dictionary<int, Http2Stream>();
        var longLived = StreamWithId(1);
        table.Add(longLived);
        model.Add(1, longLived);
        // Three open at a time keeps the table at 4 slots: every later id comes round to stream 1's slot.
        for (var id = 3; id < 400; id += 2)
        {
            var stream = StreamWithId(id);
            table.Add(stream);
            model.Add(id, stream);
            if (model.Count == 3)
            {
                var oldest = model.Keys.Where(k => k != 1).Min();
                Assert.True(table.Remove(oldest));
                model.Remove(oldest);
            }
            AssertSame(model, table, id + 2);
        }
        Assert.True(table.Remove(1));
        model.Remove(1);
        AssertSame(model, table, 401);
    }

    [Fact]
    public void Cleared_IsEmptyAndTakesNewStreams()
    {
        var table = new Http2StreamTable();
        for (var id = 1; id < 80; id += 2)
        {
            table.Add(StreamWithId(id));
        }
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.Empty(table.ToArray());
        Assert.False(table.TryGetValue(1, out _));
        var stream = StreamWithId(81);
        table.Add(stream);
        Assert.True(table.TryGetValue(81, out var found));
        Assert.Same(stream, found);
    }

    private static void AssertSame(Dictionary<int, Http2Stream> model, Http2StreamTable table, int nextId)
    {
        Assert.Equal(model.Count, table.Count);
        foreach (var (id, stream) in model)
        {
            Assert.True(table.TryGetValue(id, out var found), $"stream {id} not found");
            Assert.Same(stream, found);
        }
        // Ids never opened, and ids already closed, are not found.
        for (var id = Math.Max(1, nextId - 300); id < nextId + 40; id += 2)
        {
            if (!model.ContainsKey(id))
            {
                Assert.False(table.TryGetValue(id, out _), $"stream {id} found");
            }
        }
        var enumerated = new List<int>();
        foreach (var stream in table)
        {
            enumerated.Add(stream.Id);
        }
        Assert.Equal(model.Keys.Order(), enumerated.Order());
        Assert.Equal(model.Keys.Order(), table.ToArray().Select(s => s.Id).Order());
        // Into a reused array: grown when short, and only the count written counts.
        var buffer = new Http2Stream[Math.Min(2, model.Count)];
        for (var pass = 0; pass < 2; pass++)
        {
            var copied = table.CopyTo(ref buffer);
            Assert.Equal(model.Count, copied);
            Assert.Equal(model.Keys.Order(), buffer.Take(copied).Select(s => s.Id).Order());
        }
    }
}
