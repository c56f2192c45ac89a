SC_DESC="HTTP/2 cleartext with prior knowledge (h2c), multiplexed: 8 connections with 32 concurrent streams each, GET of a 12-byte body; HTTP/1.1 from the proxy to the origin"
SC_KIND=h2load
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(8)
SC_H2_STREAMS=32
SC_LISTENER=h2c
SC_PEERS="fastgate nginx haproxy"
