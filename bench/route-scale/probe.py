#!/usr/bin/env python3
"""Sends GET requests one after another on one keep-alive connection for SECONDS (or until SIGTERM) and prints
the latency percentiles in milliseconds: p50 p99 max count. Used by bench/route-scale.sh to
see whether a reload being parsed slows down serving.

    probe.py HOST PORT PATH SECONDS
"""
import http.client
import signal
import sys
import time


def main():
    host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies = []
    end = time.monotonic() + seconds
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    while time.monotonic() < end and not stopped:
        start = time.monotonic()
        try:
            conn.request("GET", path, headers={"Host": "t001.example.com"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            continue
        latencies.append((time.monotonic() - start) * 1000)
    latencies.sort()
    if not latencies:
        print("– – – 0")
        return
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{pick(0.5):.2f} {pick(0.99):.2f} {latencies[-1]:.2f} {len(latencies)}")


if __name__ == "__main__":
    main()
