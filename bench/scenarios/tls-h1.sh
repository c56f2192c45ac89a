SC_DESC="HTTPS keep-alive GET (TLS terminated by the proxy, plain HTTP/1.1 to the origin), 12-byte body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_LISTENER=tls
# The proxies with a TLS listener in the harness; direct is left out (a TLS origin would
# terminate TLS on the load generator's core).
SC_PEERS="fastgate nginx haproxy"
# The load generator does as much TLS or copying work as the proxy: report requests per
# CPU-second of the proxy too, which does not depend on who saturates first.
SC_REPORT_CPU=1
