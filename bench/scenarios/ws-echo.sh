SC_DESC="WebSocket echo: each connection sends a 32-byte text message and waits for its echo (closed loop), through the mock origin's /ws"
SC_KIND=stream
SC_ORIGIN=mock
SC_PATH=/ws
SC_STREAM_MODE=ws-echo
SC_STREAM_ARGS=(--size 32)
SC_CONNECTIONS=(64)
SC_UNIT=messages
SC_PEERS="direct fastgate nginx haproxy relay"
# The origin and the load client share one core and do as much work per message as the
# proxy: requests (messages) per CPU-second of the proxy compare the proxies independently.
SC_REPORT_CPU=1
