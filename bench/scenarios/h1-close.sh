SC_DESC="HTTP/1.1 GET, new client connection per request (Connection: close), 12-byte body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_WRK_ARGS=(-H "Connection: close")
