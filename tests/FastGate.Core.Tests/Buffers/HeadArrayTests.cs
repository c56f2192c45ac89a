using FastGate.Core.Buffers;

namespace FastGate.Core.Tests.Buffers;

public class HeadArrayTests
{
    [Fact]
    public void Get_AfterDone_ReusesTheSameArray()
    {
        var head = new HeadArray();
        var first = head.Get(300);
        head.Done();

        var second = head.Get(700);

        Assert.Same(first, second);
        Assert.True(second.Length >= 700);
    }

    [Fact]
    public void Get_Larger_ReplacesTheArray()
    {
        var head = new HeadArray();
        var small = head.Get(100);

        var large = head.Get(small.Length + 1);

        Assert.NotSame(small, large);
        Assert.True(large.Length > small.Length);
    }

    [Fact]
    public void Done_AfterAnOversizedHead_LetsTheArrayGo()
    {
        var head = new HeadArray();
        var large = head.Get(HeadArray.RetainLimit + 1);
        head.Done();

        var next = head.Get(10);

        Assert.NotSame(large, next);
        Assert.True(next.Length <= HeadArray.RetainLimit);
    }

    [Fact]
    public void Grow_KeepsTheBytesAlreadyWritten()
    {
        var head = new HeadArray();
        var array = head.Get(16);
        "GET /a HTTP/1.1\r\n"u8.CopyTo(array);

        var grown = head.Grow(array.Length * 4, 17);

        Assert.True(grown.Length >= array.Length * 4);
        Assert.Equal("GET /a HTTP/1.1\r\n"u8.ToArray(), grown[..17]);
        Assert.Same(grown, head.Get(grown.Length));
    }

    [Fact]
    public void Get_SteadyState_AllocatesNothing()
    {
        var head = new HeadArray();
        head.Get(512);
        head.Done();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            head.Get(200 + i % 500);
            head.Done();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
