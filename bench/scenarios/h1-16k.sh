SC_DESC="HTTP/1.1 keep-alive GET, 16 KiB response body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/16k
SC_CONNECTIONS=(64)
