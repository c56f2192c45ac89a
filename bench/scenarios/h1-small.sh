SC_DESC="HTTP/1.1 keep-alive GET, 12-byte response body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64 256)
