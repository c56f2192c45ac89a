namespace FastGate.Proxy.Hosting;

/// <summary>
/// The live connections, for the heartbeat (timeouts) and draining. Add and remove are O(1):
/// a removed slot takes the last item, and each target carries its slot.
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly object _lock = new();
    private IHeartbeatTarget[] _items = new IHeartbeatTarget[256];
    private IHeartbeatTarget[] _scratch = new IHeartbeatTarget[256];
    private int _count;

    public int Count
    {
        get { lock (_lock) { return _count; } }
    }

    public void Add(IHeartbeatTarget target)
    {
        lock (_lock)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }
            target.RegistrySlot = _count;
            _items[_count++] = target;
        }
    }

    public void Remove(IHeartbeatTarget target)
    {
        lock (_lock)
        {
            var slot = target.RegistrySlot;
            if (slot < 0 || slot >= _count || !ReferenceEquals(_items[slot], target))
            {
                return;
            }
            var last = --_count;
            if (slot != last)
            {
                var tail = _items[last];
                _items[slot] = tail;
                tail.RegistrySlot = slot;
            }
            _items[last] = null!;
            target.RegistrySlot = -1;
        }
    }

    /// <summary>Calls the heartbeat on every live target; only the heartbeat thread calls this.</summary>
    public void Heartbeat(long now)
    {
        var count = Snapshot();
        for (var i = 0; i < count; i++)
        {
            _scratch[i].OnHeartbeat(now);
            _scratch[i] = null!;
        }
    }

    public void CloseAllWhenIdle()
    {
        IHeartbeatTarget[] items;
        lock (_lock)
        {
            items = _items[.._count];
        }
        foreach (var item in items)
        {
            item.CloseWhenIdle();
        }
    }

    /// <summary>Drain, once its timeout expired: asks every connection to end its streams now.</summary>
    public void EndAllStreams()
    {
        IHeartbeatTarget[] items;
        lock (_lock)
        {
            items = _items[.._count];
        }
        foreach (var item in items)
        {
            item.EndStreams();
        }
    }

    private int Snapshot()
    {
        lock (_lock)
        {
            if (_scratch.Length < _count)
            {
                _scratch = new IHeartbeatTarget[_items.Length];
            }
            Array.Copy(_items, _scratch, _count);
            return _count;
        }
    }
}
