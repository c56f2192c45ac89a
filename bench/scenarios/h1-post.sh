SC_DESC="HTTP/1.1 keep-alive POST with a 1 KiB request body, 12-byte response body"
SC_KIND=wrk
SC_ORIGIN=nginx
SC_PATH=/
SC_CONNECTIONS=(64)
SC_LUA=post-1k.lua
