SC_DESC="HTTP/2 over TLS (ALPN h2, TLS terminated by the proxy), 64 connections with 1 stream each, GET of a 12-byte body; HTTP/1.1 from the proxy to the origin"
SC_KIND=h2load
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_H2_STREAMS=1
# The proxy's TLS listener, which offers h2 by ALPN in runs with this scenario; h2load checks
# that h2 was negotiated.
SC_LISTENER=tls
SC_PEERS="fastgate nginx haproxy"
# As in tls-h1: the load generator does as much TLS work as the proxy.
SC_REPORT_CPU=1
