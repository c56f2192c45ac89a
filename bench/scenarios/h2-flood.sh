SC_DESC="HTTP/2 floods: each attack of tools/H2Flood (4 connections, at most 20,000 frames/s each, reconnecting when closed) against the proxy's h2c listener while a well-behaved h2c client (h2load, 4 connections x 8 streams, 12-byte GET) is measured; its req/s against the same client without an attack"
SC_KIND=h2flood
SC_ORIGIN=nginx
SC_PATH=/
# The well-behaved client: SC_CONNECTIONS[0] connections of SC_H2_STREAMS streams.
SC_CONNECTIONS=(4)
SC_H2_STREAMS=8
SC_LISTENER=h2c
SC_FLOOD_ATTACKS=(rapid-reset continuation hpack-bomb settings ping empty-data window-update zero-window)
# Bounded: 20x the default control-frame limit per connection, so the flood does not simply
# starve the load core (shared by the flood, the client and the origin) instead of the proxy.
SC_FLOOD_ARGS=(--connections 4 --rate 20000)
# FastGate's defense counters are in the table; nginx and HAProxy show how they hold up.
SC_PEERS="fastgate nginx haproxy"
