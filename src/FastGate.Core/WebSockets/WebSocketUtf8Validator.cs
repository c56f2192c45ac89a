using System.Text.Unicode;

namespace FastGate.Core.WebSockets;

/// <summary>
/// UTF-8 validation of a message that arrives in pieces split at any byte (RFC 3629 as RFC 6455 §8.1
/// asks: no overlongs, no surrogates, nothing above U+10FFFF). Whole sequences go to the vectorized
/// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>; only a sequence cut by a piece boundary is carried
/// over, as the count of continuation bytes still owed and the range the next one must fall in.
/// </summary>
internal struct WebSocketUtf8Validator
{
    private byte _need;
    private byte _low;
    private byte _high;

    /// <summary>No sequence is open: the bytes so far end at a character boundary.</summary>
    public readonly bool IsComplete => _need == 0;

    public bool Append(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (_need != 0)
        {
            if (i == data.Length)
            {
                return true;
            }

            if (!Continue(data[i++]))
            {
                return false;
            }
        }

        data = data.Slice(i);
        int whole = WholeSequencesLength(data);
        if (!Utf8.IsValid(data.Slice(0, whole)))
        {
            return false;
        }

        for (int j = whole; j < data.Length; j++)
        {
            if (!Step(data[j]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The length of <paramref name="data"/> without a last sequence that its lead byte says is cut
    /// short. Anything invalid stays in the prefix or reaches <see cref="Step"/>, which rejects it.
    /// </summary>
    private static int WholeSequencesLength(ReadOnlySpan<byte> data)
    {
        int n = data.Length;
        for (int k = 1; k <= 3 && k <= n; k++)
        {
            byte b = data[n - k];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            if (b < 0x80)
            {
                return n;
            }

            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return k < length ? n - k : n;
        }

        return n;
    }

    private bool Step(byte b)
    {
        if (_need != 0)
        {
            return Continue(b);
        }

        // Lead bytes and the range of the first continuation byte (RFC 3629 §4): the narrowed ranges
        // after E0, ED, F0 and F4 exclude overlongs, surrogates and code points above U+10FFFF.
        switch (b)
        {
            case < 0x80:
                return true;
            case >= 0xC2 and <= 0xDF:
                Open(1, 0x80, 0xBF);
                return true;
            case 0xE0:
                Open(2, 0xA0, 0xBF);
                return true;
            case 0xED:
                Open(2, 0x80, 0x9F);
                return true;
            case >= 0xE1 and <= 0xEF:
                Open(2, 0x80, 0xBF);
                return true;
            case 0xF0:
                Open(3, 0x90, 0xBF);
                return true;
            case >= 0xF1 and <= 0xF3:
                Open(3, 0x80, 0xBF);
                return true;
            case 0xF4:
                Open(3, 0x80, 0x8F);
                return true;
            default:
                return false;
        }
    }

    private void Open(byte need, byte low, byte high)
    {
        _need = need;
        _low = low;
        _high = high;
    }

    private bool Continue(byte b)
    {
        if (b < _low || b > _high)
        {
            return false;
        }

        _need--;
        _low = 0x80;
        _high = 0xBF;
        return true;
    }
}
