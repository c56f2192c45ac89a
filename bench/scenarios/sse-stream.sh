SC_DESC="Server-Sent Events: 1,000 streams of the mock origin's /sse, 32-byte events sent back to back (interval 0), counted per second with every id checked in order"
SC_KIND=stream
SC_ORIGIN=mock
SC_PATH="/sse?count=0&interval_ms=0&size=32"
SC_STREAM_MODE=sse
# One more stream, its events 20 ms apart and stamped by the origin: how long a lone event takes
# to get through while the others stream back to back (p50/p99 columns).
SC_STREAM_ARGS=(--probe-interval-ms 20)
SC_CONNECTIONS=(1000)
SC_UNIT=events
SC_PEERS="direct fastgate nginx haproxy relay"
# Back to back, the origin writes as fast as its core allows and a proxy that keeps up reads
# many events per read: events per CPU-second of the proxy is the cost that compares them.
SC_REPORT_CPU=1
