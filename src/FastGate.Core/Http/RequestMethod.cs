namespace FastGate.Core.Http;

/// <summary>Request methods known without a string; anything else is <see cref="Custom"/>.</summary>
public enum RequestMethod : byte
{
    Custom,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Trace,
    Connect,
}
