using System.Text;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>A failed OpenSSL call; the message carries OpenSSL's own reasons (its error queue), which it also empties.</summary>
public sealed class OpenSslException(string message) : Exception(message)
{
    internal static unsafe OpenSslException FromErrorQueue(string what)
    {
        var message = new StringBuilder(what);
        var text = stackalloc byte[256];
        ulong error;
        while ((error = LibCrypto.ERR_get_error()) != 0)
        {
            LibCrypto.ERR_error_string_n(error, text, 256);
            message.Append(": ").Append(new string((sbyte*)text));
        }
        return new OpenSslException(message.ToString());
    }
}
