#!/usr/bin/env python3
"""Sends GET requests one after another on one keep-alive connection and prints the latency
percentiles in milliseconds: p50 p99 max count. Used by bench/route-scale.sh to see whether a
reload being parsed slows down serving.

    probe.py HOST PORT PATH SECONDS                 requests for SECONDS
    probe.py HOST PORT PATH reload ADMIN_PORT N     requests while N POST /reload run one
                                                    after another; also prints each reload's
                                                    seconds after the four figures

The reloads are sent from this process, on a second connection, so that no other process
(curl, a timer) competes for a core while the latencies are taken.
"""
import http.client
import sys
import threading
import time


def reload_loop(host, admin_port, count, durations, done):
    for _ in range(count):
        conn = http.client.HTTPConnection(host, admin_port, timeout=120)
        start = time.monotonic()
        conn.request("POST", "/reload")
        response = conn.getresponse()
        response.read()
        durations.append(time.monotonic() - start if response.status == 200 else float("nan"))
        conn.close()
    done.set()


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    done = threading.Event()
    durations = []
    if sys.argv[4] == "reload":
        admin_port, count = int(sys.argv[5]), int(sys.argv[6])
        worker = threading.Thread(target=reload_loop, args=(host, admin_port, count, durations, done), daemon=True)
        worker.start()
    else:
        threading.Timer(float(sys.argv[4]), done.set).start()
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies = []
    while not done.is_set():
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
    extra = "".join(f" {d:.2f}" for d in durations)
    if not latencies:
        print("– – – 0" + extra)
        return
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{pick(0.5):.2f} {pick(0.99):.2f} {latencies[-1]:.2f} {len(latencies)}{extra}")


if __name__ == "__main__":
    main()
