SC_DESC="proxy RSS with 0, 1,000 and 10,000 idle HTTPS keep-alive client connections (a full TLS 1.3 handshake and one request each, then idle)"
SC_KIND=idle
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(0 1000 10000)
SC_LISTENER=tls
# The proxies with a TLS listener in the harness.
SC_PEERS="fastgate nginx haproxy"
