using System.Text;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>
/// Recorded provider bodies in TestData: the first line names where the shape comes from (a
/// line starting with <c>#</c>), the rest is the body byte for byte.
/// </summary>
internal static class ProviderTestData
{
    public static byte[] Read(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", relativePath));
        Assert.True(bytes.Length > 0 && bytes[0] == (byte)'#', $"{relativePath} has no source line");
        var newline = Array.IndexOf(bytes, (byte)'\n');
        return bytes[(newline + 1)..];
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
