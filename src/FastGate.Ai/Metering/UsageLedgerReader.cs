using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace FastGate.Ai.Metering;

/// <summary>
/// Walks a ledger's frames from the header on, with positional reads (so it can share the
/// writer's handle, or read a file another process is appending to, up to a given length).
/// It stops at the first frame that is torn or damaged; <see cref="ValidLength"/> is then where
/// the intact ledger ends.
/// </summary>
public sealed class UsageLedgerReader : IDisposable
{
    private const int ChunkSize = 64 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly bool _ownsHandle;
    private readonly long _limit;
    private byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private long _chunkOffset;
    private int _chunkLength;
    private long _position;

    private UsageLedgerReader(SafeFileHandle handle, bool ownsHandle, long limit)
    {
        _handle = handle;
        _ownsHandle = ownsHandle;
        _limit = Math.Min(limit, RandomAccess.GetLength(handle));
        Header = ReadHeader();
        _position = ValidLength = Header == LedgerHeader.Valid ? UsageLedgerFormat.HeaderLength : 0;
    }

    /// <summary>Opens <paramref name="path"/> for reading, shared with a writer that may be appending.</summary>
    public static UsageLedgerReader Open(string path) =>
        new(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), ownsHandle: true, long.MaxValue);

    /// <summary>Reads through <paramref name="handle"/> (not closed here), no further than <paramref name="limit"/> bytes.</summary>
    internal static UsageLedgerReader Over(SafeFileHandle handle, long limit) => new(handle, ownsHandle: false, limit);

    /// <summary>Every intact record of the ledger at <paramref name="path"/>, in the order written.</summary>
    public static List<UsageRecord> ReadAll(string path)
    {
        using var reader = Open(path);
        var records = new List<UsageRecord>();
        while (reader.TryRead(out var record))
        {
            records.Add(record);
        }
        return records;
    }

    public LedgerHeader Header { get; }

    /// <summary>Bytes from the start of the file to the end of the last intact frame read so far.</summary>
    public long ValidLength { get; private set; }

    /// <summary>The bytes readers may look at: the file's length, or less when a limit was given.</summary>
    public long Length => _limit;

    /// <summary>Frames read intact so far.</summary>
    public long Frames { get; private set; }

    /// <summary>The next intact record; false at the end of the ledger or at the first torn or damaged frame.</summary>
    public bool TryRead(out UsageRecord record)
    {
        record = default;
        // A frame that passed its checksum but holds no record also ends the ledger for readers.
        return TryReadFrame(out var payload) && UsageLedgerFormat.TryReadRecord(payload, out record);
    }

    /// <summary>The next intact frame's payload, valid until the next call.</summary>
    public bool TryReadFrame(out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (Header != LedgerHeader.Valid || _position + UsageLedgerFormat.FrameHeaderLength > _limit)
        {
            return false;
        }
        var head = Peek(_position, UsageLedgerFormat.FrameHeaderLength);
        if (head.Length < UsageLedgerFormat.FrameHeaderLength)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(head);
        var checksum = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (length == 0 || length > UsageLedgerFormat.MaxPayload || _position + UsageLedgerFormat.FrameHeaderLength + length > _limit)
        {
            return false;
        }
        var body = Peek(_position + UsageLedgerFormat.FrameHeaderLength, (int)length);
        if (body.Length < length || UsageLedgerFormat.Crc32C(body) != checksum)
        {
            return false;
        }
        payload = body;
        _position += UsageLedgerFormat.FrameHeaderLength + length;
        ValidLength = _position;
        Frames++;
        return true;
    }

    private LedgerHeader ReadHeader()
    {
        if (_limit == 0)
        {
            return LedgerHeader.Empty;
        }
        var header = Peek(0, (int)Math.Min(_limit, UsageLedgerFormat.HeaderLength));
        Span<byte> expected = stackalloc byte[UsageLedgerFormat.HeaderLength];
        UsageLedgerFormat.WriteHeader(expected);
        if (header.Length < UsageLedgerFormat.HeaderLength)
        {
            return expected.StartsWith(header) ? LedgerHeader.Torn : LedgerHeader.NotALedger;
        }
        if (!header.StartsWith(UsageLedgerFormat.Magic))
        {
            return LedgerHeader.NotALedger;
        }
        return header.SequenceEqual(expected) ? LedgerHeader.Valid : LedgerHeader.UnknownVersion;
    }

    /// <summary>Bytes at [offset, offset + count) of the file, from the chunk buffer (refilled as needed).</summary>
    private ReadOnlySpan<byte> Peek(long offset, int count)
    {
        if (offset < _chunkOffset || offset + count > _chunkOffset + _chunkLength)
        {
            if (count > _chunk.Length)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = ArrayPool<byte>.Shared.Rent(count);
            }
            _chunkOffset = offset;
            _chunkLength = 0;
            var want = (int)Math.Min(_chunk.Length, _limit - offset);
            while (_chunkLength < want)
            {
                var read = RandomAccess.Read(_handle, _chunk.AsSpan(_chunkLength, want - _chunkLength), offset + _chunkLength);
                if (read == 0)
                {
                    break;
                }
                _chunkLength += read;
            }
            if (_chunkLength < count)
            {
                // The file shrank under us: what is not there counts as torn.
                return _chunk.AsSpan(0, _chunkLength);
            }
        }
        return _chunk.AsSpan((int)(offset - _chunkOffset), count);
    }

    public void Dispose()
    {
        if (_ownsHandle)
        {
            _handle.Dispose();
        }
        var chunk = Interlocked.Exchange(ref _chunk, []);
        if (chunk.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
