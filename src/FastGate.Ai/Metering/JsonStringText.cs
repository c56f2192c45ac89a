using System.Globalization;
using System.Text;

namespace FastGate.Ai.Metering;

/// <summary>Turns the UTF-8 bytes of a JSON string's content (escapes possibly still in) into the text they stand for.</summary>
internal static class JsonStringText
{
    /// <summary>
    /// Writes the text into <paramref name="destination"/> (at least <paramref name="utf8"/>'s length:
    /// no escape or UTF-8 sequence makes more UTF-16 chars than it has bytes) and returns the chars written.
    /// An escape that is not valid JSON is kept as it stands.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> utf8, Span<char> destination)
    {
        var written = 0;
        while (true)
        {
            var backslash = utf8.IndexOf((byte)'\\');
            var run = backslash < 0 ? utf8 : utf8[..backslash];
            written += Encoding.UTF8.GetChars(run, destination[written..]);
            if (backslash < 0 || backslash + 1 >= utf8.Length)
            {
                if (backslash >= 0)
                {
                    destination[written++] = '\\';
                }
                return written;
            }
            var escape = utf8[backslash + 1];
            var consumed = 2;
            char decoded;
            switch (escape)
            {
                case (byte)'n': decoded = '\n'; break;
                case (byte)'t': decoded = '\t'; break;
                case (byte)'r': decoded = '\r'; break;
                case (byte)'b': decoded = '\b'; break;
                case (byte)'f': decoded = '\f'; break;
                case (byte)'"' or (byte)'\\' or (byte)'/': decoded = (char)escape; break;
                case (byte)'u' when backslash + 6 <= utf8.Length
                    && ushort.TryParse(utf8.Slice(backslash + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    decoded = (char)code;
                    consumed = 6;
                    break;
                default:
                    decoded = '\\';
                    consumed = 1;
                    break;
            }
            destination[written++] = decoded;
            utf8 = utf8[(backslash + consumed)..];
        }
    }
}
