SC_DESC="AI streams: streamed chat completions (/v1/chat/completions, 64 tokens, no pacing, no delay before the first) from the mock's OpenAI endpoint, directly and through FastGate's AI route (translation, metering, ledger); time to first token, latency and requests/s"
SC_KIND=stream
SC_ORIGIN=mock
SC_PATH=/v1/chat/completions
SC_STREAM_MODE=ai
# The same model name both ways: FastGate's [[model]] "*" sends it to the mock as asked, and the
# options after '+' tell the mock to answer 64 tokens as fast as it can.
SC_STREAM_ARGS=(--model "m+tokens-64" --key bench-key)
SC_CONNECTIONS=(1 64)
SC_UNIT=requests
SC_PEERS="direct fastgate"
