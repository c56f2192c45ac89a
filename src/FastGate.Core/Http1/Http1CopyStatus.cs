namespace FastGate.Core.Http1;

/// <summary>Where a body copy stands after a call to <see cref="Http1BodyCopier.Copy{TWriter}"/>.</summary>
public enum Http1CopyStatus : byte
{
    /// <summary>All input used; the body is not over yet.</summary>
    NeedMoreData,
    /// <summary>The body ended; bytes after it (a pipelined message) were left unconsumed.</summary>
    Complete,
    /// <summary>Invalid chunked framing.</summary>
    InvalidFraming,
    /// <summary>More body bytes than the limit allows.</summary>
    TooLarge,
}
