namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The gateway's spare exchanges: a front takes one when a request head has arrived and gives
/// it back when the exchange ends, so a keep-alive connection waiting for its next request holds
/// no exchange, no head storage and no upstream leg. A stack under a lock held for a few
/// instructions; bounded: past <see cref="Capacity"/> spares, a returned exchange is dropped
/// (its pooled buffers given back), and a rent from an empty pool makes a new one.
/// </summary>
public sealed class ExchangePool
{
    public const int Capacity = 1024;

    private readonly Exchange[] _items = new Exchange[Capacity];
    private readonly Lock _lock = new();
    private int _count;

    public Exchange Rent()
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                var item = _items[--_count];
                _items[_count] = null!;
                return item;
            }
        }
        return new Exchange();
    }

    /// <summary>Takes back an exchange that ended (already cleared by its front).</summary>
    public void Return(Exchange exchange)
    {
        lock (_lock)
        {
            if (_count < Capacity)
            {
                _items[_count++] = exchange;
                return;
            }
        }
        exchange.Release();
    }
}
