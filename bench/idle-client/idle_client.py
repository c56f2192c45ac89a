#!/usr/bin/env python3
"""Opens N HTTP/1.1 keep-alive connections, sends one GET on each, reads the response and
keeps every connection open (idle) until it is terminated.

    idle_client.py --target 127.0.0.1:18081 --connections 10000 [--path /] [--batch 250]
                   [--tls [--sni localhost]]

With --tls every connection does a TLS handshake first (no certificate verification, SNI
as given, no ALPN, as wrk in the harness's tls-h1 scenario), then sends its one request over TLS and idles like the others.

Prints "ready OPEN errors=E" on stdout once every connection has its response (E counts
connections that failed or got a non-2xx answer), then waits for SIGTERM/SIGINT.
Standard library only.
"""
import argparse
import errno
import resource
import selectors
import signal
import socket
import ssl
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="HOST:PORT")
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--path", default="/")
    p.add_argument("--batch", type=int, default=250, help="connections opened at once")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds for the whole setup")
    p.add_argument("--tls", action="store_true", help="speak TLS (no certificate verification)")
    p.add_argument("--sni", default="localhost", help="server name sent with --tls")
    return p.parse_args()


class Conn:
    __slots__ = ("sock", "state", "buf", "need")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.buf = b""
        self.need = -1  # total bytes of the response once the head is parsed


def response_complete(c):
    """True when c.buf holds one whole response (Content-Length or chunked)."""
    if c.need < 0:
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = c.buf[:end].decode("latin-1").split("\r\n")
        status = head[0].split(" ")
        if len(status) < 2 or not status[1].startswith("2"):
            raise ValueError("status " + head[0])
        length = 0
        chunked = False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            c.need = -2
        else:
            c.need = end + 4 + length
    if c.need == -2:
        return c.buf.endswith(b"0\r\n\r\n")
    return len(c.buf) >= c.need


def open_batch(host, port, request, count, deadline, tls):
    sel = selectors.DefaultSelector()
    conns, errors = [], 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            errors += 1
            continue
        c = Conn(s)
        sel.register(s, selectors.EVENT_WRITE, c)
    pending = len(sel.get_map())
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            try:
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "connect")
                    if tls is not None:
                        # wrap_socket takes over the descriptor: register the SSL socket instead
                        sel.unregister(c.sock)
                        c.sock = tls[0].wrap_socket(c.sock, server_hostname=tls[1],
                                                    do_handshake_on_connect=False)
                        c.state = "handshake"
                        sel.register(c.sock, selectors.EVENT_WRITE, c)
                        step_handshake(sel, c, request)
                        continue
                    c.sock.sendall(request)  # small: fits the socket buffer
                    c.state = "reading"
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                elif c.state == "handshake":
                    step_handshake(sel, c, request)
                else:
                    while True:
                        try:
                            data = c.sock.recv(65536)
                        except ssl.SSLWantReadError:
                            break  # a record without application data (a session ticket)
                        if not data:
                            raise OSError("closed by peer")
                        c.buf += data
                        # an SSL socket may hold decrypted bytes the selector cannot see
                        if tls is None or not c.sock.pending():
                            break
                    if response_complete(c):
                        sel.unregister(c.sock)
                        c.buf = b""
                        conns.append(c.sock)
                        pending -= 1
            except (OSError, ValueError):
                sel.unregister(c.sock)
                c.sock.close()
                errors += 1
                pending -= 1
    for key in list(sel.get_map().values()):  # timed out
        key.fileobj.close()
        errors += 1
    sel.close()
    return conns, errors


def step_handshake(sel, c, request):
    """Advances a non-blocking TLS handshake; once done, sends the request and waits for
    the response."""
    try:
        c.sock.do_handshake()
    except ssl.SSLWantReadError:
        sel.modify(c.sock, selectors.EVENT_READ, c)
        return
    except ssl.SSLWantWriteError:
        sel.modify(c.sock, selectors.EVENT_WRITE, c)
        return
    if c.sock.send(request) != len(request):  # small: one record, fits the socket buffer
        raise OSError("short write")
    c.state = "reading"
    sel.modify(c.sock, selectors.EVENT_READ, c)


def main():
    a = parse_args()
    host, _, port = a.target.rpartition(":")
    port = int(port)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.connections + 64) if hard != resource.RLIM_INFINITY else a.connections + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: idle-client\r\n\r\n" % (a.path, a.target)).encode()
    tls = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        tls = (ctx, a.sni)
    deadline = time.monotonic() + a.timeout
    kept, errors = [], 0
    while len(kept) + errors < a.connections and time.monotonic() < deadline:
        n = min(a.batch, a.connections - len(kept) - errors)
        conns, errs = open_batch(host, port, request, n, deadline, tls)
        kept += conns
        errors += errs
    errors += a.connections - len(kept) - errors
    print("ready %d errors=%d" % (len(kept), errors), flush=True)

    def stop(*_):
        for s in kept:
            s.close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
