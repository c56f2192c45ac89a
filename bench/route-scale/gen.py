#!/usr/bin/env python3
"""Writes a FastGate config with many routes, the shape of a multi-tenant gateway: N routes
over 500 hosts, each with a path prefix of its own, spread over 100 clusters.

    gen.py --routes 100000 --listen 127.0.0.1:18402 --admin 127.0.0.1:18409 --origin 127.0.0.1:18300 > routes.toml

100,000 routes make about 9.8 MB of TOML. Deterministic: the same arguments give the same file.
"""
import argparse
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--routes", type=int, default=100_000)
    p.add_argument("--hosts", type=int, default=500)
    p.add_argument("--clusters", type=int, default=100)
    p.add_argument("--listen", default="127.0.0.1:18402")
    p.add_argument("--admin", default="127.0.0.1:18409")
    p.add_argument("--origin", default="127.0.0.1:18300", help="every cluster's one endpoint")
    a = p.parse_args()

    out = sys.stdout
    out.write(f'[admin]\nlisten = "{a.admin}"\n\n[log]\nlevel = "warn"\naccess = "off"\n\n')
    out.write(f'[[listener]]\nname = "web"\nlisten = "{a.listen}"\n\n')
    for i in range(a.routes):
        host = i % a.hosts
        cluster = i % a.clusters
        out.write(
            f'[[route]]\nname = "r{i:06d}"\nhost = "t{host:03d}.example.com"\n'
            f'path_prefix = "/v1/r{i:06d}/"\ncluster = "c{cluster:03d}"\n\n')
    for c in range(a.clusters):
        out.write(f'[cluster.c{c:03d}]\nendpoints = ["{a.origin}"]\nlb = "round_robin"\n\n')


if __name__ == "__main__":
    main()
