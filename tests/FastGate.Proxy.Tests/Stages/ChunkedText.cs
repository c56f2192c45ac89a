using System.Text;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>Reads a chunked HTTP/1.1 body as the client got it.</summary>
internal static class ChunkedText
{
    /// <summary>The data of a chunked <paramref name="body"/>; for a body cut before its last chunk, what came whole.</summary>
    public static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (line < 0)
            {
                return result.ToString();
            }
            var size = Convert.ToInt32(body[at..line], 16);
            if (size == 0)
            {
                return result.ToString();
            }
            result.Append(body, line + 2, size);
            at = line + 2 + size + 2;
        }
    }
}
