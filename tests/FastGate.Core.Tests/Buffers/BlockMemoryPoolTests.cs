using FastGate.Core.Buffers;

namespace FastGate.Core.Tests.Buffers;

public class BlockMemoryPoolTests
{
    [Fact]
    public void Rent_AfterReturn_ReusesTheSameBlock()
    {
        using var pool = new BlockMemoryPool(1024);
        var first = pool.Rent();
        var array = first.Memory;
        first.Dispose();

        var second = pool.Rent();

        Assert.Same(first, second);
        Assert.True(second.Memory.Span == array.Span);
        Assert.Equal(1024, second.Memory.Length);
    }

    [Fact]
    public void Dispose_Twice_ReturnsTheBlockOnce()
    {
        using var pool = new BlockMemoryPool(512);
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.PooledBlocks);
    }

    [Fact]
    public void Rent_LargerThanABlock_GivesAnUnpooledBuffer()
    {
        using var pool = new BlockMemoryPool(512);

        var big = pool.Rent(4096);
        big.Dispose();

        Assert.True(big.Memory.Length >= 4096);
        Assert.Equal(0, pool.PooledBlocks);
    }
}
