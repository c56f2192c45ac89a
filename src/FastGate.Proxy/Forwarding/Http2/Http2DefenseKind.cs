namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>Which defense of the HTTP/2 front acted; the <c>kind</c> label of <c>fastgate_http2_defense_total</c>.</summary>
public enum Http2DefenseKind
{
    /// <summary>More than max_premature_resets streams reset before their response began, past half of all opened (CVE-2023-44487).</summary>
    RapidReset,
    /// <summary>SETTINGS, PING, PRIORITY, WINDOW_UPDATE and RST_STREAM frames past the per-connection token bucket.</summary>
    ControlFlood,
    /// <summary>DATA frames without payload or END_STREAM past the same bucket.</summary>
    EmptyData,
    /// <summary>More than 256 KiB of our SETTINGS/PING acknowledgements waiting for a client that does not read.</summary>
    OutputBacklog,
    /// <summary>A header block over max_header_list_size compressed, or more than 64 CONTINUATION frames.</summary>
    Continuation,
    /// <summary>A header block that decodes past max_header_list_size (HPACK bomb): its stream is answered 431.</summary>
    HeaderList,
    /// <summary>A stream opened past max_concurrent_streams (REFUSED_STREAM); over 100 on a connection ends it.</summary>
    Refused,
    /// <summary>A stream or connection whose send window stayed 0 for stall_timeout.</summary>
    ZeroWindow,
    /// <summary>Upstream sessions whose stream ids ran out (counted by the upstream side).</summary>
    StreamIds,
    /// <summary>A connection refused on arrival: its address is past max_defense_strikes_per_address within defense_strike_window.</summary>
    AddressBlocked,
    /// <summary>A connection whose output the client's TCP left unread for stall_timeout, its windows open or not: closed.</summary>
    SendStall,
}
