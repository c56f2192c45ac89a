SC_DESC="HTTP/2 cleartext with prior knowledge (h2c), 64 connections with 1 stream each, keep-alive GET of a 12-byte body; HTTP/1.1 from the proxy to the origin"
SC_KIND=h2load
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_H2_STREAMS=1
# The proxy's h2c listener (port +300 in the harness); direct is left out: the origin speaks
# HTTP/1.1 only.
SC_LISTENER=h2c
SC_PEERS="fastgate nginx haproxy"
