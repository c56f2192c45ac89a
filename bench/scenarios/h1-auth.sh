SC_DESC="HTTP/1.1 keep-alive GET through an API-key check and a rate limit that never triggers (/auth/, 12-byte body)"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/auth/
SC_CONNECTIONS=(64)
SC_WRK_ARGS=(-H "x-api-key: bench-key")
# Peers configured with an equivalent key check and request-rate limit on /auth/.
SC_PEERS="fastgate nginx haproxy"
