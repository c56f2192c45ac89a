using System.Buffers.Binary;
using FastGate.Core.Buffers;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// The last proxied response head one connection encoded, kept when encoding it left the HPACK
/// encoder's table as it was (<see cref="Core.HPack.HPackEncoder.TableVersion"/>): a head with the
/// same status, forwarded fields and content-length encodes to the same block while the table stays
/// so, and the block is copied instead. An upstream repeats its heads (its Date changes once a
/// second), so past a head's first two responses on a connection (the first adds its fields to the
/// table, the second finds them all) each response's head costs a compare of its fields.
/// </summary>
/// <remarks>
/// The key is the forwarded fields as they came, each name and value a 2-byte length and the bytes,
/// compared in the order the encoder would take them. Heads whose key would pass
/// <see cref="MaxKeyBytes"/> are not kept. Both buffers are the connection's, released with it.
/// </remarks>
internal sealed class Http2RepeatedHead
{
    private const int MaxKeyBytes = 2048;

    private readonly PooledByteBuffer _key = new(4 * MaxKeyBytes);
    private readonly PooledByteBuffer _block = new(4 * MaxKeyBytes);
    private bool _kept;
    private bool _recordFailed;
    private int _status;
    private long _contentLength;
    private long _tableVersion;
    // Where the comparison of a head with the kept one's key has got to.
    private int _matched;

    /// <summary>The kept block: valid only after <see cref="BeginMatch"/> and every <see cref="MatchField"/> and <see cref="EndMatch"/> said yes.</summary>
    public ReadOnlySpan<byte> Block => _block.WrittenSpan;

    /// <summary>Starts comparing a head with the kept one: false when the status, the length or the table differ.</summary>
    public bool BeginMatch(int status, long contentLength, long tableVersion)
    {
        _matched = 0;
        return _kept && status == _status && contentLength == _contentLength && tableVersion == _tableVersion;
    }

    /// <summary>The head's next forwarded field, compared with the kept one's.</summary>
    public bool MatchField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var key = _key.WrittenSpan;
        return Matches(key, ref _matched, name) && Matches(key, ref _matched, value);
    }

    /// <summary>True when the head had no field beyond the kept one's.</summary>
    public bool EndMatch() => _matched == _key.Length;

    /// <summary>Starts recording the head about to be encoded (the kept one is no longer valid).</summary>
    public void BeginRecord()
    {
        _kept = false;
        _recordFailed = false;
        _key.Clear();
    }

    /// <summary>The next forwarded field of the head being encoded.</summary>
    public void RecordField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_recordFailed || _key.Length + 4 + name.Length + value.Length > MaxKeyBytes)
        {
            _recordFailed = true;
            return;
        }
        Append(name);
        Append(value);
    }

    /// <summary>
    /// The head was encoded into <paramref name="block"/>: kept when the table was the same before
    /// and after (<paramref name="versionBefore"/>, <paramref name="versionAfter"/>) and every field was recorded.
    /// </summary>
    public void EndRecord(int status, long contentLength, long versionBefore, long versionAfter, ReadOnlySpan<byte> block)
    {
        if (_recordFailed || versionBefore != versionAfter || block.Length > MaxKeyBytes)
        {
            _key.Clear();
            return;
        }
        _block.Clear();
        _block.Write(block);
        _status = status;
        _contentLength = contentLength;
        _tableVersion = versionAfter;
        _kept = true;
    }

    /// <summary>The connection ended: the buffers go back to the pool.</summary>
    public void Release()
    {
        _kept = false;
        _key.Release();
        _block.Release();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var span = _key.GetSpan(2 + bytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)bytes.Length);
        bytes.CopyTo(span[2..]);
        _key.Advance(2 + bytes.Length);
    }

    private static bool Matches(ReadOnlySpan<byte> key, ref int at, ReadOnlySpan<byte> bytes)
    {
        if (key.Length - at < 2 + bytes.Length
            || BinaryPrimitives.ReadUInt16LittleEndian(key[at..]) != bytes.Length
            || !key.Slice(at + 2, bytes.Length).SequenceEqual(bytes))
        {
            return false;
        }
        at += 2 + bytes.Length;
        return true;
    }
}
