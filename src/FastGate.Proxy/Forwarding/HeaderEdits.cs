using System.Buffers;
using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Changes stages make to a head that is written later (the upstream request, the client's
/// response, a local answer): fields set, added and removed, kept as byte ranges in one reused
/// buffer so an exchange that edits headers allocates nothing in steady state. The writer of the
/// head skips the fields <see cref="Drops"/> names and then writes <see cref="Fields"/>.
/// </summary>
public sealed class HeaderEdits
{
    private readonly PooledByteBuffer _bytes = new();
    private Edit[] _edits = [];
    private int _count;

    private struct Edit
    {
        public HeaderEditKind Kind;
        public int NameStart, NameLength, ValueStart, ValueLength;
    }

    public int Count => _count;

    /// <summary>
    /// Replaces every field named <paramref name="name"/>. Returns false, and changes nothing, when
    /// the name is not an HTTP token or the value holds CR, LF, NUL or another control character
    /// (a header injection).
    /// </summary>
    public bool Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Append(HeaderEditKind.Set, name, value);

    /// <summary>Adds a field; false as for <see cref="Set"/>.</summary>
    public bool Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Append(HeaderEditKind.Add, name, value);

    /// <summary>Drops every field named <paramref name="name"/>, including ones set or added before.</summary>
    public bool Remove(ReadOnlySpan<byte> name) => Append(HeaderEditKind.Remove, name, default);

    public void Clear()
    {
        _count = 0;
        _bytes.Clear();
    }

    public void Release()
    {
        _count = 0;
        _bytes.Release();
    }

    /// <summary>True when a field of this name from the original head must not be written.</summary>
    public bool Drops(ReadOnlySpan<byte> name)
    {
        if (_count == 0)
        {
            return false;
        }
        var bytes = _bytes.WrittenSpan;
        for (var i = 0; i < _count; i++)
        {
            ref readonly var edit = ref _edits[i];
            if (edit.Kind != HeaderEditKind.Add && edit.NameLength == name.Length
                && Ascii.EqualsIgnoreCase(bytes.Slice(edit.NameStart, edit.NameLength), name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the edits leave a field of this name to write (set or added and not removed after).</summary>
    public bool TryGetValue(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var bytes = _bytes.WrittenSpan;
        value = default;
        var found = false;
        for (var i = 0; i < _count; i++)
        {
            ref readonly var edit = ref _edits[i];
            if (edit.NameLength == name.Length && Ascii.EqualsIgnoreCase(bytes.Slice(edit.NameStart, edit.NameLength), name))
            {
                found = edit.Kind != HeaderEditKind.Remove;
                value = found ? bytes.Slice(edit.ValueStart, edit.ValueLength) : default;
            }
        }
        return found;
    }

    /// <summary>Writes the fields the edits leave: each set or added field not removed or set again later.</summary>
    public void WriteFields<T>(ref BufferWriter<T> w) where T : IBufferWriter<byte>
    {
        var bytes = _bytes.WrittenSpan;
        for (var i = 0; i < _count; i++)
        {
            ref readonly var edit = ref _edits[i];
            if (edit.Kind == HeaderEditKind.Remove || IsOverridden(bytes, i))
            {
                continue;
            }
            w.Write(bytes.Slice(edit.NameStart, edit.NameLength));
            w.Write(": "u8);
            w.Write(bytes.Slice(edit.ValueStart, edit.ValueLength));
            w.Write("\r\n"u8);
        }
    }

    /// <summary>A later Set or Remove of the same name cancels this field.</summary>
    private bool IsOverridden(ReadOnlySpan<byte> bytes, int index)
    {
        ref readonly var edit = ref _edits[index];
        var name = bytes.Slice(edit.NameStart, edit.NameLength);
        for (var j = index + 1; j < _count; j++)
        {
            ref readonly var later = ref _edits[j];
            if (later.Kind != HeaderEditKind.Add && later.NameLength == name.Length
                && Ascii.EqualsIgnoreCase(bytes.Slice(later.NameStart, later.NameLength), name))
            {
                return true;
            }
        }
        return false;
    }

    private bool Append(HeaderEditKind kind, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (!HttpChars.IsToken(name) || !IsFieldValue(value))
        {
            return false;
        }
        if (_count == _edits.Length)
        {
            Array.Resize(ref _edits, Math.Max(8, _edits.Length * 2));
        }
        ref var edit = ref _edits[_count++];
        edit.Kind = kind;
        edit.NameStart = _bytes.Length;
        edit.NameLength = name.Length;
        _bytes.Write(name);
        edit.ValueStart = _bytes.Length;
        edit.ValueLength = value.Length;
        _bytes.Write(value);
        return true;
    }

    /// <summary>RFC 9110 §5.5: visible characters, spaces and tabs, obs-text; no CR, LF, NUL or other controls.</summary>
    public static bool IsFieldValue(ReadOnlySpan<byte> value) => !value.ContainsAny(HttpChars.InvalidFieldValue);
}
