using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>OpenSSL 3's <c>OSSL_PARAM</c>: one named setting handed to a provider object (here the ticket HMAC's key and digest).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct OsslParam
{
    public const uint Utf8String = 4;
    public const uint OctetString = 5;

    public byte* Key;
    public uint DataType;
    public void* Data;
    public nuint DataSize;
    public nuint ReturnSize;

    public static OsslParam Of(byte* key, uint type, void* data, nuint size) =>
        new() { Key = key, DataType = type, Data = data, DataSize = size, ReturnSize = nuint.MaxValue };
}
