SC_DESC="HTTP/1.1 GET, new client connection per request (Connection: close), 12-byte body"
# Not the byte relay (relay): it starts two threads per connection, so here it is no floor.
SC_PEERS="direct fastgate nginx haproxy caddy yarp"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_WRK_ARGS=(-H "Connection: close")
