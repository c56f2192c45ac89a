#!/usr/bin/env python3
"""Measures one published FastGate build for bench/aot.sh; prints one line KEY=VALUE ...

Every gateway it starts runs pinned to --proxy-cpu in its own process group and is stopped
(TERM, then KILL) before this script returns, whatever happened. wrk runs pinned to --load-cpu.

Figures:
  startup_ms      median, over --startup-runs fresh starts, of the time from exec until a
                  proxied GET / through the gateway answers 200
  rss_kib         VmRSS of a fresh gateway after --rss-requests proxied requests and 5 s idle
  first10s        proxied requests the gateway had answered 10 s after exec, with wrk
                  (-t1 -cN) started as soon as the gateway answered its first request
  steady_rps      wrk req/s over --steady-seconds after --warmup-seconds of the same load
  steady_p99_ms   wrk's p99 latency in that steady window
  steady_cpu_pct  the gateway's CPU time over that window, in % of one core
  rss_loaded_kib  VmRSS right after the steady window
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CHILDREN = []


def on_term(signum, frame):
    raise SystemExit(128 + signum)


def start(argv, env, log):
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    CHILDREN.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def http_get(port, path="/", timeout=1.0):
    """One GET on a fresh connection; the status code, or None when nothing answered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def wait_ready(proc, port, t0, limit_s=30.0):
    """Seconds from t0 until a proxied GET / answers 200."""
    while True:
        if http_get(port, timeout=0.5) == 200:
            return time.monotonic() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited with {proc.returncode} before answering")
        if time.monotonic() - t0 > limit_s:
            raise RuntimeError("gateway did not answer within 30 s")
        time.sleep(0.001)


def requests_total(admin_port):
    """Sum of fastgate_requests_total over every route and status class."""
    try:
        with socket.create_connection(("127.0.0.1", admin_port), timeout=2) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return -1
    total = 0
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("fastgate_requests_total"):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(args, cpu, seconds, port, script=None):
    argv = ["taskset", "-c", str(cpu), args.wrk, "-t1", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    if script:
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}/")
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def wrk_wait(proc):
    CHILDREN.append(proc)
    try:
        out, _ = proc.communicate(timeout=600)
    finally:
        stop(proc)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if not rps:
        raise RuntimeError("wrk printed no Requests/sec:\n" + out)
    p99_ms = None
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    n_err = (int(errors.group(1)) if errors else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return float(rps.group(1)), p99_ms, n_err, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True, help="the published fastgate executable")
    p.add_argument("--config", required=True)
    p.add_argument("--port", type=int, required=True, help="the gateway's proxy listener")
    p.add_argument("--admin-port", type=int, required=True)
    p.add_argument("--proxy-cpu", default="0")
    p.add_argument("--load-cpu", default="1")
    p.add_argument("--wrk", default="wrk")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--startup-runs", type=int, default=5)
    p.add_argument("--rss-requests", type=int, default=20000)
    p.add_argument("--warmup-seconds", type=int, default=60)
    p.add_argument("--steady-seconds", type=int, default=10)
    p.add_argument("--logdir", required=True)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    env = dict(os.environ)
    env["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1"
    env["DOTNET_TieredPGO"] = "1"
    gate_argv = ["taskset", "-c", args.proxy_cpu, args.gateway, "run", "-c", args.config]
    result = {}

    def log(name):
        return open(os.path.join(args.logdir, name), "ab")

    try:
        # Start-up: exec until the first proxied request is answered.
        times = []
        for i in range(args.startup_runs):
            t0 = time.monotonic()
            proc = start(gate_argv, env, log("gateway-startup.log"))
            try:
                times.append(wait_ready(proc, args.port, t0))
            finally:
                stop(proc)
            time.sleep(0.3)
        result["startup_ms"] = round(statistics.median(times) * 1000, 1)
        result["startup_min_ms"] = round(min(times) * 1000, 1)

        # Idle RSS after a warm-up of N requests, then 5 s of rest.
        proc = start(gate_argv, env, log("gateway-rss.log"))
        try:
            wait_ready(proc, args.port, time.monotonic())
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
                f.write("local n = 0\n"
                        "response = function(status, headers, body)\n"
                        f"  n = n + 1\n  if n >= {args.rss_requests} then wrk.thread:stop() end\n"
                        "end\n")
                script = f.name
            try:
                before = requests_total(args.admin_port)
                wrk_wait(wrk(args, args.load_cpu, 30, args.port, script))
                result["rss_requests"] = requests_total(args.admin_port) - before
            finally:
                os.unlink(script)
            time.sleep(5)
            result["rss_kib"] = vm_rss_kib(proc.pid)
        finally:
            stop(proc)
        time.sleep(0.5)

        # First 10 s after exec, then warm-up, then the steady window, in one process.
        t0 = time.monotonic()
        proc = start(gate_argv, env, log("gateway-load.log"))
        try:
            wait_ready(proc, args.port, t0)
            w = wrk(args, args.load_cpu, 10, args.port)
            time.sleep(max(0.0, t0 + 10.0 - time.monotonic()))
            result["first10s"] = requests_total(args.admin_port)
            _, _, err, _ = wrk_wait(w)
            result["first10s_errors"] = err
            if args.warmup_seconds > 0:
                wrk_wait(wrk(args, args.load_cpu, args.warmup_seconds, args.port))
            cpu0, w0 = cpu_seconds(proc.pid), time.monotonic()
            rps, p99, err, out = wrk_wait(wrk(args, args.load_cpu, args.steady_seconds, args.port))
            result["steady_cpu_pct"] = round(100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - w0))
            with open(os.path.join(args.logdir, "wrk-steady.txt"), "a") as f:
                f.write(out)
            result["steady_rps"] = round(rps)
            result["steady_p99_ms"] = round(p99, 2) if p99 is not None else "n/a"
            result["steady_errors"] = err
            result["rss_loaded_kib"] = vm_rss_kib(proc.pid)
            if proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {proc.returncode} under load")
        finally:
            stop(proc)
    finally:
        for child in list(CHILDREN):
            stop(child)

    print(" ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, KeyboardInterrupt) as e:
        print(f"aot-measure: error: {e}", file=sys.stderr)
        sys.exit(1)
