SC_DESC="L4 throughput: HTTP/1.1 keep-alive GET of a 1 MiB body through the proxy's TCP listener (bytes relayed, not parsed)"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/1m
SC_CONNECTIONS=(16)
SC_LISTENER=tcp
SC_RESPONSE_BYTES=1048576
# The load generator does as much TLS or copying work as the proxy: report requests per
# CPU-second of the proxy too, which does not depend on who saturates first.
SC_REPORT_CPU=1
