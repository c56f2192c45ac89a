using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// The open connections of one listener by client address, for max_connections_per_client. Kept
/// per listening socket (which a reload keeps, while the handler serving it may change), so the
/// counts survive reloads, and every connection is counted whatever the cap is then: a reload
/// that sets a cap finds the connections already open. Touched only at accept and at close, by
/// the loops of several threads, hence the lock; the dictionary holds one entry per address with
/// a connection open, so its size is bounded by the open connections.
/// <para>
/// The address is the socket's peer, known at accept before any byte is read. On a listener
/// that takes PROXY headers that peer is the balancer in front, not the client the header names.
/// </para>
/// </summary>
public sealed class ClientConnectionCounts
{
    private static readonly ConditionalWeakTable<ConnectionListener, ClientConnectionCounts> Listeners = new();

    private readonly Dictionary<Key, int> _open = new();

    /// <summary>The counts of <paramref name="listener"/>'s socket.</summary>
    public static ClientConnectionCounts For(ConnectionListener listener) => Listeners.GetValue(listener, static _ => new ClientConnectionCounts());

    /// <summary>
    /// Counts a connection just accepted on <paramref name="listener"/> against the cap of the
    /// snapshot current now; null (counted in fastgate_client_connection_cap_total) when the
    /// address is at its cap: the caller closes the connection before reading a byte.
    /// </summary>
    public static ClientLease? Admit(Gateway gateway, string listenerName, ConnectionListener listener, ReadOnlySpan<byte> ip)
    {
        var counts = For(listener);
        return counts.TryAdmit(gateway, listenerName, ip) ? counts.LeaseFor(ip) : null;
    }

    /// <summary>
    /// As <see cref="Admit"/>, without a lease: the caller keeps this object and <paramref name="ip"/>
    /// and calls <see cref="Uncount"/> once at close. A plain HTTP/1.1 connection already holds its
    /// address, so it spares the lease object that every idle connection would otherwise keep.
    /// </summary>
    public bool TryAdmit(Gateway gateway, string listenerName, ReadOnlySpan<byte> ip)
    {
        var cap = gateway.Current.Listener(listenerName)?.Limits.MaxConnectionsPerClient ?? 0;
        if (TryCount(ip, cap))
        {
            return true;
        }
        gateway.Metrics.SlowClients.ConnectionCapped(listenerName);
        return false;
    }

    /// <summary>Open connections of <paramref name="ip"/> now (tests, diagnostics).</summary>
    public int OpenFor(ReadOnlySpan<byte> ip)
    {
        lock (_open)
        {
            return _open.TryGetValue(Key.From(ip), out var count) ? count : 0;
        }
    }

    /// <summary>
    /// Counts a new connection of <paramref name="ip"/>; null when that address already has
    /// <paramref name="cap"/> open (0: no cap), and the connection is to be closed unread. An address
    /// the socket did not give (empty) is never capped. The lease is released when the connection closes.
    /// </summary>
    public ClientLease? TryOpen(ReadOnlySpan<byte> ip, int cap) => TryCount(ip, cap) ? LeaseFor(ip) : null;

    /// <summary>
    /// Counts a new connection of <paramref name="ip"/> as <see cref="TryOpen"/> does, leaving its
    /// release to <see cref="Uncount"/>: false when the address is at <paramref name="cap"/>.
    /// </summary>
    public bool TryCount(ReadOnlySpan<byte> ip, int cap)
    {
        if (ip.Length is not (4 or 16))
        {
            return true;
        }
        var key = Key.From(ip);
        lock (_open)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_open, key, out _);
            if (cap > 0 && count >= cap)
            {
                // Not a new entry: a cap above 0 is reached only by connections that are counted.
                return false;
            }
            count++;
        }
        return true;
    }

    /// <summary>The lease of a connection of <paramref name="ip"/> that <see cref="TryCount"/> counted.</summary>
    public ClientLease LeaseFor(ReadOnlySpan<byte> ip) => ip.Length is 4 or 16 ? new ClientLease(this, Key.From(ip)) : ClientLease.Untracked;

    /// <summary>Releases a count that <see cref="TryCount"/> took for <paramref name="ip"/>; once per count.</summary>
    public void Uncount(ReadOnlySpan<byte> ip)
    {
        if (ip.Length is 4 or 16)
        {
            Close(Key.From(ip));
        }
    }

    private void Close(Key key)
    {
        lock (_open)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_open, key);
            if (Unsafe.IsNullRef(ref count))
            {
                return;
            }
            if (--count <= 0)
            {
                _open.Remove(key);
            }
        }
    }

    /// <summary>An IPv4 or IPv6 address as two words, without an array per lookup.</summary>
    internal readonly record struct Key(ulong High, ulong Low, bool V6)
    {
        public static Key From(ReadOnlySpan<byte> ip) => ip.Length == 16
            ? new Key(BinaryPrimitives.ReadUInt64BigEndian(ip), BinaryPrimitives.ReadUInt64BigEndian(ip[8..]), true)
            : ip.Length == 4 ? new Key(0, BinaryPrimitives.ReadUInt32BigEndian(ip), false) : default;
    }

    /// <summary>One connection's place in the count; <see cref="Release"/> at close, any number of times.</summary>
    public sealed class ClientLease
    {
        /// <summary>A connection whose address is unknown: nothing to count or release.</summary>
        internal static readonly ClientLease Untracked = new(null, default);

        private readonly ClientConnectionCounts? _counts;
        private readonly Key _key;
        private int _released;

        internal ClientLease(ClientConnectionCounts? counts, Key key)
        {
            _counts = counts;
            _key = key;
        }

        public void Release()
        {
            if (_counts is not null && Interlocked.Exchange(ref _released, 1) == 0)
            {
                _counts.Close(_key);
            }
        }
    }
}
