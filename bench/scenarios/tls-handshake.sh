SC_DESC="new TLS connection per request (Connection: close), a full handshake each (no session resumption), 12-byte body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_WRK_ARGS=(-H "Connection: close")
SC_LISTENER=tls
# wrk runs with bench/tls/no-resume.c preloaded: every ClientHello offers no session.
SC_TLS_RESUME=0
SC_PEERS="fastgate nginx haproxy"
# The load generator does as much TLS or copying work as the proxy: report requests per
# CPU-second of the proxy too, which does not depend on who saturates first.
SC_REPORT_CPU=1
