SC_DESC="proxy RSS with 0, 1,000 and 10,000 idle keep-alive client connections (one request each)"
SC_KIND=idle
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(0 1000 10000)
SC_PEERS="fastgate nginx haproxy caddy yarp"
