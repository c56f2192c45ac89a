"""bench/failover.sh: polls the proxy's own view of one endpoint every 100 ms until killed.

    poll.py fastgate ADMIN_URL ENDPOINT OUT    (/metrics: fastgate_upstream_healthy and
                                                fastgate_upstream_ejections_total of ENDPOINT)
    poll.py haproxy STATS_URL SERVER OUT       (the CSV stats page: status of SERVER)

Writes one line per poll: "<epoch ms> <down 0|1> <up 0|1> <detail>". FastGate's endpoint is down
when its health gauge is 0 or its ejection counter has grown since the first poll, up when the
gauge is 1; HAProxy's server is down when its status starts with DOWN or MAINT, up when it
starts with UP.
"""
import re
import sys
import time
import urllib.request

kind, url, name, out = sys.argv[1:5]


def fastgate(text, state):
    healthy = ejections = None
    for m in re.finditer(r'^(fastgate_upstream_healthy|fastgate_upstream_ejections_total)\{([^}]*)\} (\S+)$', text, re.M):
        if f'endpoint="{name}"' in m.group(2):
            if m.group(1) == "fastgate_upstream_healthy":
                healthy = float(m.group(3))
            else:
                ejections = float(m.group(3))
    if "base" not in state:
        state["base"] = ejections or 0
    down = healthy == 0 or (ejections or 0) > state["base"]
    return down, healthy == 1, f"healthy={healthy},ejections={ejections}"


def haproxy(text, state):
    lines = text.splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        if row.get("svname") == name:
            status = row.get("status", "")
            return status.startswith(("DOWN", "MAINT")), status.startswith("UP"), status.replace(" ", "_")
    return False, False, "absent"


check = fastgate if kind == "fastgate" else haproxy
state = {}
with open(out, "w", buffering=1) as f:
    while True:
        start = time.time()
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                down, up, detail = check(r.read().decode(), state)
            f.write(f"{int(start * 1000)} {int(down)} {int(up)} {detail}\n")
        except Exception as e:  # a busy proxy may not answer in time: record and go on
            f.write(f"{int(start * 1000)} - - {type(e).__name__}\n")
        time.sleep(max(0.0, 0.1 - (time.time() - start)))
