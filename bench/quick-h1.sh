#!/usr/bin/env bash
# Quick HTTP/1.1 side-by-side: FastGate and nginx, each with one worker pinned to the same
# core, proxying the same nginx origin (measured directly too), wrk -t1 -c64 -d10s,
# interleaved over 3 rounds. Prints the table with FastGate's ratio to nginx ("vs best
# peer") and its allocated bytes per request. It is bench/run.sh's h1-small scenario with
# only these peers and no report written; extra arguments go to bench/run.sh (e.g. --quick).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/run.sh" --peers direct,fastgate,nginx --rounds 3 --duration 10s --no-report "$@" h1-small
