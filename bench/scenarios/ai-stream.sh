SC_DESC="AI streams: streamed chat completions (/v1/chat/completions, 64 tokens, no pacing, no delay before the first) from the mock's OpenAI endpoint, directly, through FastGate's AI route (translation, metering, ledger) and, as a plain proxy for reference, through nginx; time to first token, latency and requests/s"
SC_KIND=stream
SC_ORIGIN=mock
SC_PATH=/v1/chat/completions
SC_STREAM_MODE=ai
# The same model name both ways: FastGate's [[model]] "*" sends it to the mock as asked, and the
# options after '+' tell the mock to answer 64 tokens as fast as it can.
SC_STREAM_ARGS=(--model "m+tokens-64" --key bench-key)
SC_CONNECTIONS=(1 64)
SC_UNIT=requests
# nginx, when the run lists it, proxies the same path to the mock as a plain reverse proxy (no AI
# stage): the rate any extra hop on this layout keeps against direct, beside FastGate's AI route.
# relay, when named, is the floor of that hop: bytes relayed with no parsing at all.
SC_PEERS="direct fastgate nginx relay"
